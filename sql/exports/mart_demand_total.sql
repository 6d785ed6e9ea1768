-- Export: firm totals as published with this run.
SELECT * FROM mart_demand_total ORDER BY scenario, month, workload, sku, metric;
