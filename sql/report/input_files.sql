-- report/input_files: the run's input files, one row per distinct file content
-- (grain: path x sha256); scenarios lists the scenarios that read that content.
SELECT path, sha256, max(rows) AS rows, list(DISTINCT scenario ORDER BY scenario) AS scenarios
FROM input_files
WHERE run_id = $run_id
GROUP BY path, sha256
ORDER BY path, sha256;
