-- report/seed_formulas: one scenario's compute formulas (grain: name): the expression text
-- the model evaluated (stg_compute_formulas).
SELECT name, expression
FROM stg_compute_formulas
WHERE run_id = $run_id AND scenario = $scenario
ORDER BY name;
