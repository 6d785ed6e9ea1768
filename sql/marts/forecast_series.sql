-- forecast_series (helper, not a mart): the forecast series of the runs mart_forecast and
-- mart_bands show (grain: run_id x scenario x calibration x metric x firm x workload x sku x
-- vendor x month); restricted to those runs first, so its cost does not grow with the runs
-- kept. Deterministic: the forecast rows as published (they already hold the totals: 'all' =
-- summed over that dimension, chipcast.model.series). Monte Carlo: the run's forecast_quantiles
-- rows of the same series (headline rows excluded: see mart_headlines), one column per quantile
-- of chipcast.contracts.QUANTILES, for each calibration the run drew ('prior' when it drew
-- none). point = p50 where the run drew the series, else the deterministic value.
CREATE OR REPLACE VIEW forecast_series AS
WITH shown AS (
    SELECT DISTINCT run_id, scenario FROM mart_vintages
    WHERE view_name IN ('mart_forecast', 'mart_bands')
),
det AS (
    SELECT f.run_id, f.scenario, f.metric, f.unit, f.month, f.firm, f.workload, f.sku,
           f.vendor, f.value AS deterministic
    FROM forecast AS f
    JOIN shown AS s ON s.run_id = f.run_id AND s.scenario = f.scenario
),
draws AS (
    SELECT q.* FROM forecast_quantiles AS q
    JOIN shown AS s ON s.run_id = q.run_id AND s.scenario = q.scenario
),
mc AS (
    SELECT q.run_id, q.scenario, q.calibration, q.metric, q.firm, q.workload, q.sku, q.vendor,
           q.month,
           any_value(q.unit) AS unit,
           max(q.value) FILTER (WHERE q.stat = 'mean') AS mean,
{quantile_columns}
    FROM draws AS q
    WHERE q.metric NOT IN (SELECT headline FROM headline_catalogue)
    GROUP BY q.run_id, q.scenario, q.calibration, q.metric, q.firm, q.workload, q.sku,
             q.vendor, q.month
),
calibrations AS (  -- what the run drew per scenario; 'prior' stands for a run without draws
    SELECT DISTINCT run_id, scenario, calibration FROM draws
    UNION
    SELECT DISTINCT f.run_id, f.scenario, 'prior' FROM det AS f
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
    coalesce(d.vendor, m.vendor) AS vendor,
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
 AND m.vendor = d.vendor AND m.month = d.month
ORDER BY {order_by};
