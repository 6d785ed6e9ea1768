-- mart_demand_total: mart_demand_monthly summed over firms
-- (grain: scenario x month x workload x sku x metric); same units and run as
-- mart_demand_monthly.
CREATE OR REPLACE VIEW mart_demand_total AS
SELECT month, scenario, workload, sku, metric, unit, sum(value) AS value,
       count(DISTINCT firm) AS firms, run_id
FROM mart_demand_monthly
GROUP BY month, scenario, workload, sku, metric, unit, run_id
ORDER BY {order_by};
