-- mart_backtest: how each scenario's forecast fared against the reported figures of
-- actuals.csv (grain: scenario x calibration x id), from the latest published run with
-- back-test rows for the scenario (mart_vintages). p10/p50/p90 are of exactly the reported
-- quantity per draw (chipcast.uncertainty.backtest); calibration 'posterior' rows exist when
-- the run was calibrated, and those with fitted = false are the out-of-sample score.
CREATE OR REPLACE VIEW mart_backtest AS
SELECT b.scenario, b.calibration, b.id, b.quantity, b.value, b.low, b.high, b.p10, b.p50,
       b.p90, b.inside, b.ratio, b.fitted, b.published, b.fit_until, b.draws, b.ess, b.unit,
       b.run_id
FROM backtest AS b
JOIN mart_vintages AS v
  ON v.view_name = 'mart_backtest' AND v.scenario = b.scenario AND v.run_id = b.run_id
ORDER BY {order_by};
