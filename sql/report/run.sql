-- report/run: the run's row of mart_runs for the HTML report (grain: run_id).
SELECT run_id, scenarios, status, started_at, finished_at, seconds, seed, draws, sampler,
       code_version, input_hash, forecast_rows, input_files, expectations,
       failed_expectations, is_latest, error
FROM mart_runs
WHERE run_id = $run_id;
