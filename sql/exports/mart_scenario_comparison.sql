-- Export: headline numbers per scenario as published with this run.
SELECT * FROM mart_scenario_comparison ORDER BY scenario;
