-- warehouse/record_contents: count what each published run wrote per scenario and table into
-- run_contents (grain: run_id x scenario x table_name), for every published run that has no
-- run_contents rows yet (the run being closed, or runs published before the table existed).
INSERT INTO run_contents
WITH todo AS (
    SELECT run_id FROM runs
    WHERE status = 'published' AND run_id NOT IN (SELECT run_id FROM run_contents)
)
SELECT run_id, scenario, table_name, count(*) AS rows
FROM (
    SELECT run_id, scenario, 'forecast' AS table_name FROM forecast
    WHERE run_id IN (SELECT run_id FROM todo)
    UNION ALL
    SELECT run_id, scenario, 'forecast_quantiles' FROM forecast_quantiles
    WHERE run_id IN (SELECT run_id FROM todo)
    UNION ALL
    SELECT run_id, scenario, 'headlines' FROM headlines
    WHERE run_id IN (SELECT run_id FROM todo)
    UNION ALL
    SELECT run_id, scenario, 'sensitivity' FROM sensitivity
    WHERE run_id IN (SELECT run_id FROM todo)
    UNION ALL
    SELECT run_id, scenario, 'backtest' FROM backtest
    WHERE run_id IN (SELECT run_id FROM todo)
    UNION ALL
    SELECT run_id, scenario, 'validation_results' FROM validation_results
    WHERE run_id IN (SELECT run_id FROM todo) AND scenario IS NOT NULL
    UNION ALL
    SELECT run_id, scenario, 'input_files' FROM input_files
    WHERE run_id IN (SELECT run_id FROM todo)
)
GROUP BY run_id, scenario, table_name;
