-- artifacts/backtest: one run's back-test coverage for the Prefect run summary (grain:
-- scenario x calibration): the actuals scored (posterior rows: those not fitted when the run
-- calibrated up to a cutoff, else all), how many lie inside P10-P90, the kept draws.
SELECT scenario, calibration,
       count(*) FILTER (WHERE calibration = 'prior' OR NOT fitted OR fit_until IS NULL)
           AS scored,
       count(*) FILTER (WHERE inside AND (calibration = 'prior' OR NOT fitted
                                          OR fit_until IS NULL)) AS inside,
       bool_or(fit_until IS NOT NULL AND calibration = 'posterior') AS out_of_sample,
       max(draws) AS draws, max(ess) AS kept_draws
FROM backtest
WHERE run_id = $run_id
GROUP BY scenario, calibration
ORDER BY scenario, calibration;
