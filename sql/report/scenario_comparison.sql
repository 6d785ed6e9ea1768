-- report/scenario_comparison: mart_scenario_comparison rows of the run (grain: scenario):
-- every column of the view, which follows the headline registry (chipcast.contracts.HEADLINES):
-- <headline> is the published point (calibration and point_basis say which: the posterior or
-- prior Monte Carlo median, or the deterministic value of a run without draws) and
-- <headline>_deterministic the value with every input at its point value; peak_month,
-- first_month, last_month. Units and capex count chips of known SKUs only ('other' vendors
-- are in A100-eq only).
SELECT * EXCLUDE (run_id)
FROM mart_scenario_comparison
WHERE run_id = $run_id
ORDER BY scenario;
