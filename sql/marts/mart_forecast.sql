-- mart_forecast: the published forecast, one vintage per scenario
-- (grain: scenario x calibration x metric x firm x workload x sku x month): point (the Monte
-- Carlo median where the run drew the series, else deterministic), deterministic, mean,
-- percentiles and statsforecast-style interval aliases, all from the run mart_vintages names
-- for this view (the latest published run with forecast rows: bands never come from another
-- run). Columns and their meaning: chipcast.contracts.marts (and the views' comments).
CREATE OR REPLACE VIEW mart_forecast AS
SELECT s.*
FROM forecast_series AS s
JOIN mart_vintages AS v
  ON v.view_name = 'mart_forecast' AND v.scenario = s.scenario AND v.run_id = s.run_id
ORDER BY {order_by};
