-- Export: the published forecast as published with this run (grain: scenario x calibration x
-- metric x firm x workload x sku x month; one vintage per scenario, see docs/marts.md).
SELECT * FROM mart_forecast
ORDER BY scenario, calibration, metric, firm, workload, sku, vendor, month;
