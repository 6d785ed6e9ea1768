-- artifacts/checks: one run's data-check results for the Prefect run summary
-- (grain: suite): expectations evaluated, passed and failed.
SELECT
    suite,
    count(*) AS expectations,
    count(*) FILTER (WHERE success) AS passed,
    count(*) FILTER (WHERE NOT success) AS failed
FROM validation_results
WHERE run_id = $run_id
GROUP BY suite
ORDER BY suite;
