-- Export: the whole market (all buyers) as published with this run (grain: scenario x month x
-- workload x sku x vendor x metric, sorted by it in polars: chipcast.store.warehouse.EXPORT_ORDER).
SELECT * FROM mart_demand_total;
