-- Export: this run's Monte Carlo summaries
-- (grain: scenario x calibration x month x firm x workload x sku x vendor x metric x stat x
-- quantile).
SELECT * FROM forecast_quantiles WHERE run_id = $run_id
ORDER BY scenario, calibration, month, firm, workload, sku, vendor, metric, stat, quantile;
