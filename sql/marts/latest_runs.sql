-- latest_runs: the latest published run of each scenario (grain: scenario), whatever tables it
-- wrote. run_ids sort by start time, so max(run_id) is the latest. The BI marts pick their run
-- through mart_vintages instead (the latest run with the tables the view needs).
CREATE OR REPLACE VIEW latest_runs AS
SELECT scenario, max(run_id) AS run_id
FROM (
    SELECT run_id, unnest(scenarios) AS scenario
    FROM runs
    WHERE status = 'published'
)
GROUP BY scenario
ORDER BY {order_by};
