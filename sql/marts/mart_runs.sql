-- mart_runs: every run recorded in the published warehouse, newest first (grain: run_id).
-- is_latest marks the newest published run; failed runs are in forecasts/runs.log instead
-- (a failed run publishes nothing, so it never reaches this file).
CREATE OR REPLACE VIEW mart_runs AS
SELECT
    r.run_id, r.scenarios, r.status, r.started_at, r.finished_at,
    date_diff('millisecond', r.started_at, r.finished_at) / 1000.0 AS seconds,
    r.seed, r.draws, r.sampler, r.code_version, r.input_hash, r.forecast_rows,
    (SELECT count(*) FROM input_files AS i WHERE i.run_id = r.run_id) AS input_files,
    (SELECT count(*) FROM validation_results AS v WHERE v.run_id = r.run_id) AS expectations,
    (SELECT count(*) FROM validation_results AS v
     WHERE v.run_id = r.run_id AND NOT v.success) AS failed_expectations,
    r.run_id = (SELECT max(run_id) FROM runs WHERE status = 'published') AS is_latest,
    r.error
FROM runs AS r
ORDER BY {order_by};
