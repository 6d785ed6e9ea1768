-- report/seed_fleet: one scenario's fleet inputs, e.g. reference_tflops (the TFLOPS of one
-- A100-equivalent), point values in each metric's unit (grain: metric).
SELECT metric, value
FROM stg_fleet
WHERE run_id = $run_id AND scenario = $scenario
ORDER BY metric;
