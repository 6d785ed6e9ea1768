-- Export: Monte Carlo bands as published with this run (grain: scenario x calibration x month
-- x firm x workload x sku x vendor x metric, sorted by it in polars:
-- chipcast.store.warehouse.EXPORT_ORDER). When mart_bands shows the runs mart_forecast shows,
-- export_parquet takes these rows from mart_forecast's instead (bands_from_forecast).
SELECT * FROM mart_bands;
