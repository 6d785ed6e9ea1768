-- Close a run: status, end time, input fingerprint, forecast row count and error (if any).
UPDATE runs
SET status = $status,
    finished_at = $finished_at,
    input_hash = (
        SELECT sha256(string_agg(path || ':' || sha256, ',' ORDER BY scenario, path))
        FROM input_files
        WHERE run_id = $run_id
    ),
    forecast_rows = (SELECT count(*) FROM forecast WHERE run_id = $run_id),
    error = $error
WHERE run_id = $run_id;
