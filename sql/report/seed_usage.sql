-- report/seed_usage: one scenario's default usage inputs (firm $default,
-- chipcast.contracts.DEFAULT_KEY), point values in each metric's unit (grain: metric).
SELECT metric, value
FROM stg_usage
WHERE run_id = $run_id AND scenario = $scenario AND firm = $default
ORDER BY metric;
