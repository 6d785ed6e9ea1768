-- latest_runs: the latest published run of each scenario (grain: scenario).
-- run_ids sort by start time, so max(run_id) is the latest; marts join on this view and so
-- follow new runs without naming any run_id.
CREATE OR REPLACE VIEW latest_runs AS
SELECT scenario, max(run_id) AS run_id
FROM (
    SELECT run_id, unnest(scenarios) AS scenario
    FROM runs
    WHERE status = 'published'
)
GROUP BY scenario;
