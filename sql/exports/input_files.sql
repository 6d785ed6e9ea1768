-- Export: the input files this run read (grain: scenario x path).
SELECT * FROM input_files WHERE run_id = $run_id ORDER BY scenario, path;
