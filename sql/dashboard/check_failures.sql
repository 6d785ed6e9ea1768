-- dashboard/check_failures: the failed expectations of one scenario's latest published run
-- with results (grain: suite x position).
SELECT table_name, suite, expectation, "column", message, unexpected_count, sample
FROM mart_validation
WHERE scenario = $scenario AND is_latest_run AND NOT success
ORDER BY table_name, suite, position;
