-- mart_demand_monthly: the latest published run's monthly forecast for each scenario
-- (grain: month x scenario x firm x workload x sku x metric). Leaves only: sum for totals.
-- Units: a100_equivalents[_required] 'A100-eq', a100_equivalents_shipped 'A100-eq/month',
-- units_installed 'units', units_shipped 'units/month', capex_usd 'USD/month'. Units and capex
-- count chips of known SKUs only; sku 'other' (vendor Other) carries the two A100-eq metrics.
CREATE OR REPLACE VIEW mart_demand_monthly AS
SELECT f.month, f.scenario, f.firm, f.workload, f.sku, f.metric, f.value, f.unit, f.run_id
FROM forecast AS f
JOIN latest_runs AS l ON f.run_id = l.run_id AND f.scenario = l.scenario;
