-- report/sensitivity: the run's sensitivity rows (grain: scenario x headline x input x method),
-- largest effect first (tornado by swing, Sobol by total index).
SELECT scenario, headline, input, method, low, high, swing, s1, s1_conf, st, st_conf, unit
FROM sensitivity
WHERE run_id = $run_id
ORDER BY scenario, headline, method, coalesce(swing, st) DESC NULLS LAST, input;
