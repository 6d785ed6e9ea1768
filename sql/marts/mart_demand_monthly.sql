-- mart_demand_monthly: the latest published run's monthly forecast for each scenario
-- (grain: month x scenario x firm x workload x sku x vendor x metric): the rows of `forecast`
-- (chipcast.model.series), 'all' marking a total. Per buyer (sku 'all') and per SKU or vendor
-- (firm 'all') are two partitions of the same market totals: sum within one of them, never a
-- total with its parts. Units: a100_equivalents[_required|_idle] 'A100-eq',
-- a100_equivalents_shipped 'A100-eq/month', units_installed 'units', units_shipped
-- 'units/month', capex_usd 'USD/month', tokens_per_day 'tokens/day'.
CREATE OR REPLACE VIEW mart_demand_monthly AS
SELECT f.month, f.scenario, f.firm, f.workload, f.sku, f.vendor, f.metric, f.value, f.unit,
       f.run_id
FROM forecast AS f
JOIN latest_runs AS l ON f.run_id = l.run_id AND f.scenario = l.scenario;
