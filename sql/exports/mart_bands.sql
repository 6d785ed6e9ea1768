-- Export: Monte Carlo bands as published with this run (grain: scenario x calibration x month
-- x firm x workload x sku x vendor x metric).
SELECT * FROM mart_bands
ORDER BY scenario, calibration, month, firm, workload, sku, vendor, metric;
