-- forecast_series (helper, not a mart): the forecast series of the runs mart_forecast and
-- mart_bands show (grain: run_id x scenario x calibration x metric x firm x workload x sku x
-- month); restricted to those runs first, so its cost does not grow with the runs kept.
-- Deterministic: the forecast leaves and their totals over any of firm, workload and sku
-- ('all' = summed over that dimension; a dimension whose leaves are already 'all', like the
-- SKU of required compute, is not summed again). Monte Carlo: the run's forecast_quantiles
-- rows of the same series (headline rows excluded: see mart_headlines), one column per
-- quantile of chipcast.contracts.QUANTILES, for each calibration the run drew ('prior' when
-- it drew none). point = p50 where the run drew the series, else the deterministic value.
CREATE OR REPLACE VIEW forecast_series AS
WITH shown AS (
    SELECT DISTINCT run_id, scenario FROM mart_vintages
    WHERE view_name IN ('mart_forecast', 'mart_bands')
),
leaves AS (
    SELECT f.* FROM forecast AS f
    JOIN shown AS s ON s.run_id = f.run_id AND s.scenario = f.scenario
),
draws AS (
    SELECT q.* FROM forecast_quantiles AS q
    JOIN shown AS s ON s.run_id = q.run_id AND s.scenario = q.scenario
),
det AS (
    SELECT run_id, scenario, metric, unit, month,
           CASE WHEN grouping(firm) = 1 THEN 'all' ELSE firm END AS firm,
           CASE WHEN grouping(workload) = 1 THEN 'all' ELSE workload END AS workload,
           CASE WHEN grouping(sku) = 1 THEN 'all' ELSE sku END AS sku,
           sum(value) AS deterministic
    FROM leaves
    GROUP BY run_id, scenario, metric, unit, month, CUBE (firm, workload, sku)
    HAVING NOT ((grouping(firm) = 1 AND bool_and(firm = 'all'))
             OR (grouping(workload) = 1 AND bool_and(workload = 'all'))
             OR (grouping(sku) = 1 AND bool_and(sku = 'all')))
),
mc AS (
    SELECT q.run_id, q.scenario, q.calibration, q.metric, q.firm, q.workload, q.sku, q.month,
           any_value(q.unit) AS unit,
           max(q.value) FILTER (WHERE q.stat = 'mean') AS mean,
{quantile_columns}
    FROM draws AS q
    WHERE q.metric NOT IN (SELECT headline FROM headline_catalogue)
    GROUP BY q.run_id, q.scenario, q.calibration, q.metric, q.firm, q.workload, q.sku, q.month
),
calibrations AS (  -- what the run drew per scenario; 'prior' stands for a run without draws
    SELECT DISTINCT run_id, scenario, calibration FROM draws
    UNION
    SELECT DISTINCT f.run_id, f.scenario, 'prior' FROM leaves AS f
    WHERE NOT EXISTS (SELECT 1 FROM draws AS q
                      WHERE q.run_id = f.run_id AND q.scenario = f.scenario)
),
det_c AS (
    SELECT d.*, c.calibration
    FROM det AS d
    JOIN calibrations AS c ON c.run_id = d.run_id AND c.scenario = d.scenario
)
SELECT
    coalesce(d.month, m.month) AS month,
    coalesce(d.scenario, m.scenario) AS scenario,
    coalesce(d.firm, m.firm) AS firm,
    coalesce(d.workload, m.workload) AS workload,
    coalesce(d.sku, m.sku) AS sku,
    coalesce(d.metric, m.metric) AS metric,
    coalesce(d.calibration, m.calibration) AS calibration,
    coalesce(m.p50, d.deterministic) AS point,
    CASE WHEN m.p50 IS NULL THEN 'deterministic' ELSE 'p50' END AS point_basis,
    d.deterministic,
    m.mean,
{quantile_select},
{interval_select},
    coalesce(d.unit, m.unit) AS unit,
    coalesce(d.run_id, m.run_id) AS run_id
FROM det_c AS d
FULL JOIN mc AS m
  ON m.run_id = d.run_id AND m.scenario = d.scenario AND m.calibration = d.calibration
 AND m.metric = d.metric AND m.firm = d.firm AND m.workload = d.workload AND m.sku = d.sku
 AND m.month = d.month
ORDER BY {order_by};
