-- dashboard/checks: the check results of one scenario's latest published run with results,
-- counted per table and suite (grain: table_name x suite).
SELECT run_id, table_name, suite, count(*) AS expectations,
       count(*) FILTER (WHERE NOT success) AS failed
FROM mart_validation
WHERE scenario = $scenario AND is_latest_run
GROUP BY run_id, table_name, suite
ORDER BY failed DESC, table_name, suite;
