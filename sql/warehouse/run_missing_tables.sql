-- warehouse/run_missing_tables: the tables a run has no rows in for a scenario it ran, among
-- those every run writes (forecast, headlines, input_files, validation_results) and, when it
-- drew ($draws > 0), forecast_quantiles (grain: scenario x table_name). Empty = complete.
WITH ran AS (
    SELECT unnest(scenarios) AS scenario FROM runs WHERE run_id = $run_id
),
needed AS (
    SELECT ran.scenario, t.table_name
    FROM ran
    CROSS JOIN (VALUES ('forecast'), ('headlines'), ('input_files'), ('validation_results'),
                       ('forecast_quantiles')) AS t(table_name)
    WHERE t.table_name <> 'forecast_quantiles' OR $draws > 0
),
present AS (
    SELECT DISTINCT scenario, 'forecast' AS table_name FROM forecast WHERE run_id = $run_id
    UNION ALL
    SELECT DISTINCT scenario, 'headlines' FROM headlines WHERE run_id = $run_id
    UNION ALL
    SELECT DISTINCT scenario, 'input_files' FROM input_files WHERE run_id = $run_id
    UNION ALL
    SELECT DISTINCT scenario, 'validation_results' FROM validation_results
    WHERE run_id = $run_id
    UNION ALL
    SELECT DISTINCT scenario, 'forecast_quantiles' FROM forecast_quantiles
    WHERE run_id = $run_id
)
SELECT n.scenario, n.table_name
FROM needed AS n
LEFT JOIN present AS p ON p.scenario = n.scenario AND p.table_name = n.table_name
WHERE p.scenario IS NULL
ORDER BY n.scenario, n.table_name;
