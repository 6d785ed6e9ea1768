-- Export: this run's Monte Carlo summaries
-- (grain: scenario x calibration x month x firm x workload x sku x vendor x metric x stat x
-- quantile). Sorted by that grain in polars (chipcast.store.warehouse.EXPORT_ORDER), not here:
-- DuckDB's ORDER BY on these ten keys, mostly strings, cost 2-3x polars' sort of the rows.
SELECT * FROM forecast_quantiles WHERE run_id = $run_id;
