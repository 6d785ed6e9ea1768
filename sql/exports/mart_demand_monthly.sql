-- Export: the BI mart as published with this run (latest run of each scenario).
SELECT * FROM mart_demand_monthly ORDER BY scenario, month, firm, workload, sku, vendor, metric;
