-- Export: the published forecast as published with this run (grain: scenario x calibration x
-- metric x firm x workload x sku x vendor x month, sorted by it in polars:
-- chipcast.store.warehouse.EXPORT_ORDER; one vintage per scenario, see docs/marts.md).
SELECT * FROM mart_forecast;
