-- mart_demand_total: the market totals of mart_demand_monthly (grain: scenario x month x
-- workload x sku x vendor x metric): its rows with firm 'all', i.e. summed over every buyer
-- (firms and segments) by the model; buyers = how many buyers the per-buyer rows of the same
-- month and metric list. Same units and run as mart_demand_monthly.
CREATE OR REPLACE VIEW mart_demand_total AS
WITH buyers AS (
    SELECT scenario, run_id, month, metric, count(DISTINCT firm) AS buyers
    FROM mart_demand_monthly
    WHERE firm <> 'all'
    GROUP BY scenario, run_id, month, metric
)
SELECT d.month, d.scenario, d.workload, d.sku, d.vendor, d.metric, d.unit, d.value,
       b.buyers, d.run_id
FROM mart_demand_monthly AS d
LEFT JOIN buyers AS b
  ON b.scenario = d.scenario AND b.run_id = d.run_id AND b.month = d.month
 AND b.metric = d.metric
WHERE d.firm = 'all'
ORDER BY {order_by};
