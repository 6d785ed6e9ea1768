-- Export: this run's Monte Carlo summaries
-- (grain: scenario x month x firm x workload x sku x metric x stat x quantile).
SELECT * FROM forecast_quantiles WHERE run_id = $run_id
ORDER BY scenario, month, firm, workload, sku, metric, stat, quantile;
