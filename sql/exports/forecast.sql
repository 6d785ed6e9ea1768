-- Export: this run's forecast rows (grain: month x scenario x firm x workload x sku x vendor x
-- metric). Sorted by scenario, then the rest of the grain, in polars
-- (chipcast.store.warehouse.EXPORT_ORDER).
SELECT * FROM forecast WHERE run_id = $run_id;
