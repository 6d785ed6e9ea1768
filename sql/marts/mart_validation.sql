-- mart_validation: data-check (Great Expectations) results of every published run
-- (grain: run_id x scenario x table_name x suite x position), newest run first.
-- is_latest_run marks the latest published run of the scenario with check results. The HTML
-- Data Docs of a run are in forecasts/validation/<run_id>/index.html.
CREATE OR REPLACE VIEW mart_validation AS
WITH latest AS (
    SELECT scenario, run_id FROM mart_vintages WHERE view_name = 'mart_validation'
)
SELECT
    v.run_id, r.started_at, v.scenario,
    coalesce(v.table_name, split_part(v.suite, '.', 1)) AS table_name,
    v.suite, v.position, v.expectation, v."column", v.message, v.success,
    v.unexpected_count, v.sample, v.checked_at,
    v.run_id IS NOT DISTINCT FROM l.run_id AS is_latest_run
FROM validation_results AS v
JOIN runs AS r ON r.run_id = v.run_id
LEFT JOIN latest AS l ON l.scenario = v.scenario
WHERE r.status = 'published'
ORDER BY {order_by};
