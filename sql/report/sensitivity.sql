-- report/sensitivity: the run's sensitivity rows (grain: scenario x headline x input x method),
-- largest effect first (tornado by swing, Sobol by total index, given data by first-order
-- index). Tornado rows: low/high are the headline with this input at its P10/P90 and every
-- other input at its median; baseline is the headline with every input at its median (the
-- bars' centre); input_low/input_high are the input's P10/P90 in the input's own unit. Sobol
-- rows: s1/st and their 95 % half-widths s1_conf/st_conf. given_data rows (from the Monte
-- Carlo's own draws): s1 (binned) and s1_conf, and pawn (PAWN median KS distance) for the
-- top inputs by s1 only. unit is the headline's unit.
SELECT scenario, headline, input, method, low, high, swing, baseline, input_low, input_high,
       s1, s1_conf, st, st_conf, pawn, unit
FROM sensitivity
WHERE run_id = $run_id
ORDER BY scenario, headline, method, coalesce(swing, st, s1) DESC NULLS LAST, input;
