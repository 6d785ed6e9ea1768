-- mart_sensitivity: tornado swings, Sobol and given-data indices of each headline (grain: scenario x
-- headline x method x input), from the latest published run with sensitivity rows for the
-- scenario (mart_vintages). Ordered by the largest swing (tornado) or total index (Sobol).
CREATE OR REPLACE VIEW mart_sensitivity AS
SELECT s.scenario, s.headline, s."input", s.method, s.low, s.high, s.swing, s.baseline,
       s.input_low, s.input_high, s.s1, s.s1_conf, s.st, s.st_conf, s.pawn, s.unit, s.run_id
FROM sensitivity AS s
JOIN mart_vintages AS v
  ON v.view_name = 'mart_sensitivity' AND v.scenario = s.scenario AND v.run_id = s.run_id
ORDER BY {order_by};
