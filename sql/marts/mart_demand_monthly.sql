-- mart_demand_monthly: the deterministic forecast leaves of each scenario's latest published
-- run with forecast rows (grain: scenario x month x firm x workload x sku x metric). Leaves
-- only: sum them for totals (or read mart_forecast). Units per metric: chipcast.contracts
-- OUTPUT_METRICS (A100-eq, A100-eq/month, units, units/month, USD/month); units and capex count
-- chips of known SKUs only, sku 'other' (vendor Other) carries the two A100-eq metrics.
CREATE OR REPLACE VIEW mart_demand_monthly AS
SELECT f.month, f.scenario, f.firm, f.workload, f.sku, f.metric, f.value, f.unit, f.run_id
FROM forecast AS f
JOIN mart_vintages AS v
  ON v.view_name = 'mart_demand_monthly' AND v.scenario = f.scenario AND v.run_id = f.run_id
ORDER BY {order_by};
