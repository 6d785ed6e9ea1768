-- mart_validation: expectation results of every published run, newest run first
-- (grain: run_id x suite x expectation x column). is_latest_run marks the newest published run.
CREATE OR REPLACE VIEW mart_validation AS
SELECT
    v.run_id, r.started_at, v.suite, v.expectation, v."column", v.success,
    v.unexpected_count, v.sample, v.checked_at,
    v.run_id = (SELECT max(run_id) FROM runs WHERE status = 'published') AS is_latest_run
FROM validation_results AS v
JOIN runs AS r ON r.run_id = v.run_id
WHERE r.status = 'published'
ORDER BY v.run_id DESC, v.suite, v.expectation, v."column";
