-- report/validation_suites: the run's expectation results counted per suite (grain: suite).
SELECT suite,
       count(*) AS expectations,
       count(*) FILTER (WHERE success) AS passed,
       count(*) FILTER (WHERE NOT success) AS failed
FROM validation_results
WHERE run_id = $run_id
GROUP BY suite
ORDER BY suite;
