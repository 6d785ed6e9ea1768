-- mart_demand_monthly: the deterministic forecast of each scenario's latest published run with
-- forecast rows, as published (grain: scenario x month x firm x workload x sku x vendor x
-- metric). The rows hold two partitions of the market and their totals ('all' = summed over
-- that dimension; chipcast.model.series): per buyer (firm = a firm or segment, sku and vendor
-- 'all'), per SKU (firm 'all', vendor = the chip's vendor), per vendor (sku 'all') and the
-- market total (firm, sku and vendor 'all'). Filter on one partition before summing. Units per
-- metric: chipcast.contracts OUTPUT_METRICS.
CREATE OR REPLACE VIEW mart_demand_monthly AS
SELECT f.month, f.scenario, f.firm, f.workload, f.sku, f.vendor, f.metric, f.value, f.unit,
       f.run_id
FROM forecast AS f
JOIN mart_vintages AS v
  ON v.view_name = 'mart_demand_monthly' AND v.scenario = f.scenario AND v.run_id = f.run_id
ORDER BY {order_by};
