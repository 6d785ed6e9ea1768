-- Export: Monte Carlo bands as published with this run.
SELECT * FROM mart_bands ORDER BY scenario, month, firm, workload, sku, vendor, metric;
