-- mart_bands: the forecast series that have Monte Carlo bands
-- (grain: scenario x calibration x month x firm x workload x sku x metric), from the latest
-- published run with forecast_quantiles rows for the scenario (after a --draws 0 run that is
-- an older run than mart_forecast's: compare run_id). Headlines are in mart_headlines.
CREATE OR REPLACE VIEW mart_bands AS
SELECT s.scenario, s.month, s.firm, s.workload, s.sku, s.vendor, s.metric, s.calibration, s.unit,
       s.point, s.deterministic, {quantile_names}, s.mean, s.run_id
FROM forecast_series AS s
JOIN mart_vintages AS v
  ON v.view_name = 'mart_bands' AND v.scenario = s.scenario AND v.run_id = s.run_id
WHERE s.point_basis = 'p50'
ORDER BY {order_by};
