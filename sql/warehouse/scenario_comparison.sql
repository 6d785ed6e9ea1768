-- warehouse/scenario_comparison: the BI headline view, one row per scenario, for the run summary
-- (grain: scenario).
SELECT * FROM mart_scenario_comparison ORDER BY scenario
