-- Export: the BI mart as published with this run (latest run of each scenario; grain: scenario
-- x month x firm x workload x sku x vendor x metric, sorted by it in polars:
-- chipcast.store.warehouse.EXPORT_ORDER).
SELECT * FROM mart_demand_monthly;
