-- Export: the whole market (all buyers) as published with this run.
SELECT * FROM mart_demand_total ORDER BY scenario, month, workload, sku, vendor, metric;
