-- dashboard/backtest: one scenario's back-test (grain: actual) under one calibration, from
-- mart_backtest (its vintage); posterior rows carry fitted (false = scored out of sample).
SELECT id, quantity, value, low, high, p10, p50, p90, inside, ratio, fitted, published, unit,
       draws, ess, fit_until, run_id
FROM mart_backtest
WHERE scenario = $scenario AND calibration = $calibration
ORDER BY published, id;
