-- report/scenario_comparison: mart_scenario_comparison rows of the run (grain: scenario).
-- Units and capex count chips of known SKUs only ('other' vendors are in A100-eq only).
SELECT scenario, a100_a800_units_shipped_2023_2025, a100e_shipped_2023_2030,
       peak_installed_a100e, peak_installed_units, peak_month, total_capex_usd, first_month,
       last_month
FROM mart_scenario_comparison
WHERE run_id = $run_id
ORDER BY scenario;
