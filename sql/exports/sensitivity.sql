-- Export: this run's sensitivity rows (grain: scenario x headline x input x method).
-- Tornado: low/high = headline with the input at its P10/P90 and the others at their median,
-- baseline = every input at its median; Sobol: s1/st and their 95 % half-widths.
SELECT * FROM sensitivity WHERE run_id = $run_id
ORDER BY scenario, headline, method, input;
