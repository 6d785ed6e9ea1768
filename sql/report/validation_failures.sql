-- report/validation_failures: the run's failed expectations, at most 50
-- (grain: suite x expectation x column).
SELECT suite, expectation, "column", unexpected_count, sample
FROM validation_results
WHERE run_id = $run_id AND NOT success
ORDER BY suite, expectation, "column"
LIMIT 50;
