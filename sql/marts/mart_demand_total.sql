-- mart_demand_total: the whole market, all buyers (grain: month x scenario x workload x sku x
-- vendor x metric): the firm 'all' rows of mart_demand_monthly, which the model writes for
-- every metric (need per workload and in total, fleets in total and per SKU and vendor, idle
-- compute, tokens a day); summing the buyers' rows again would count the totals twice.
-- firms: the buyers with rows of the metric in that month. Units as mart_demand_monthly.
CREATE OR REPLACE VIEW mart_demand_total AS
WITH buyers AS (
    SELECT scenario, month, metric, count(DISTINCT firm) AS firms
    FROM mart_demand_monthly
    WHERE firm <> 'all'
    GROUP BY scenario, month, metric
)
SELECT t.month, t.scenario, t.workload, t.sku, t.vendor, t.metric, t.unit, t.value,
       coalesce(b.firms, 0) AS firms, t.run_id
FROM mart_demand_monthly AS t
LEFT JOIN buyers AS b ON b.scenario = t.scenario AND b.month = t.month AND b.metric = t.metric
WHERE t.firm = 'all';
