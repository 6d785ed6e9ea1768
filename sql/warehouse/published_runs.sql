-- Published runs of the warehouse, oldest first (grain: run_id), for reconciling runs.log.
SELECT run_id, scenarios, started_at, finished_at, seed, draws
FROM runs
WHERE status = 'published'
ORDER BY run_id;
