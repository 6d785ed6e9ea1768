-- report/backtest: how each scenario of the run fared against the reported figures of
-- actuals.csv (grain: scenario x calibration x id), from mart_backtest. value/low/high: the
-- reported figure and its range; p10/p50/p90: the Monte Carlo quantiles of exactly that
-- quantity (both in `unit`); inside: value within p10..p90; ratio: value / p50 (infinite when
-- p50 is 0). calibration 'prior' scores the plain draws, 'posterior' the draws the actuals
-- published by fit_until (all when null) do not rule out; fitted: the posterior used this
-- figure. draws: Monte Carlo draws; ess: draws the calibration kept (posterior only).
SELECT scenario, calibration, id, quantity, unit, value, low, high, p10, p50, p90, inside,
       ratio, published, fitted, fit_until, draws, ess
FROM mart_backtest
WHERE run_id = $run_id
ORDER BY scenario, calibration, published, id;
