-- Export: Monte Carlo bands as published with this run (grain: scenario x calibration x month
-- x firm x workload x sku x vendor x metric, sorted by it in polars:
-- chipcast.store.warehouse.EXPORT_ORDER).
SELECT * FROM mart_bands;
