-- Forecast rows of one run by scenario (grain: scenario).
SELECT scenario, count(*) AS rows
FROM forecast
WHERE run_id = $run_id
GROUP BY scenario
ORDER BY scenario;
