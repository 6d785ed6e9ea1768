-- Export: this run's expectation results (grain: suite x expectation x column).
SELECT * FROM validation_results WHERE run_id = $run_id
ORDER BY suite, expectation, "column";
