-- artifacts/headlines: one run's headline numbers for the Prefect run summary
-- (grain: scenario x headline). deterministic: every input at its point value; p10/p50/p90:
-- Monte Carlo quantiles (NULL when the run drew no Monte Carlo).
SELECT
    scenario,
    headline,
    any_value(unit) AS unit,
    max(value) FILTER (WHERE stat = 'deterministic') AS deterministic,
    max(value) FILTER (WHERE stat = 'quantile' AND abs(quantile - 0.1) < 1e-9) AS p10,
    max(value) FILTER (WHERE stat = 'quantile' AND abs(quantile - 0.5) < 1e-9) AS p50,
    max(value) FILTER (WHERE stat = 'quantile' AND abs(quantile - 0.9) < 1e-9) AS p90
FROM headlines
WHERE run_id = $run_id
GROUP BY scenario, headline
ORDER BY scenario, headline;
