-- mart_demand_total: mart_demand_monthly summed over firms
-- (grain: month x scenario x workload x sku x metric); same units as mart_demand_monthly.
CREATE OR REPLACE VIEW mart_demand_total AS
SELECT month, scenario, workload, sku, metric, unit, sum(value) AS value,
       count(DISTINCT firm) AS firms, any_value(run_id) AS run_id
FROM mart_demand_monthly
GROUP BY month, scenario, workload, sku, metric, unit;
