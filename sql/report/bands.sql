-- report/bands: Monte Carlo bands of the run's headline series (grain: scenario x calibration
-- x series x month), of every calibration the run drew; published is true for the one the run
-- published (posterior when calibrated, else prior): required compute (A100-eq) and NVIDIA
-- A100-family units shipped (units/month; $families: chipcast.contracts.A100_FAMILIES, bound
-- as a list). Where the producer wrote total rows (firm and workload $all,
-- chipcast.contracts.ALL) those are used; otherwise the leaves' quantiles are summed (leaves
-- counts them), which is the band of the total only when the leaves move together: the A100
-- family's SKUs are market per-SKU rows of one vendor, fixed shares of its cards while
-- sku_mix.csv is fixed, so their quantiles add exactly. {mart_bands}: the view, or its rows
-- just exported from the same file (chipcast.report.data.EXPORTED_VIEWS; an identifier, never
-- user data).
WITH b AS (
    SELECT b.*, c.family,
           b.firm = $all AND b.workload = $all AS is_total
    FROM {mart_bands} AS b
    LEFT JOIN stg_chips AS c ON c.run_id = b.run_id AND c.scenario = b.scenario AND c.sku = b.sku
    WHERE b.run_id = $run_id
),
pub AS (
    SELECT scenario,
           CASE WHEN bool_or(calibration = 'posterior') THEN 'posterior' ELSE 'prior' END
               AS calibration
    FROM b
    GROUP BY scenario
),
tagged AS (
    SELECT *, 'a100_equivalents_required' AS series FROM b
    WHERE metric = 'a100_equivalents_required'
    UNION ALL
    SELECT *, 'a100_a800_units_shipped' AS series FROM b
    WHERE metric = 'units_shipped' AND list_contains($families, family)
),
has_total AS (
    SELECT scenario, calibration, series, bool_or(is_total) AS any_total
    FROM tagged
    GROUP BY scenario, calibration, series
)
SELECT t.scenario, t.calibration, t.calibration = p.calibration AS published, t.series,
       t.month, any_value(t.unit) AS unit,
       sum(t.p05) AS p05, sum(t.p10) AS p10, sum(t.p50) AS p50, sum(t.p90) AS p90,
       sum(t.p95) AS p95, sum(t.mean) AS mean, count(*) AS leaves
FROM tagged AS t
JOIN has_total AS h
  ON h.scenario = t.scenario AND h.calibration = t.calibration AND h.series = t.series
JOIN pub AS p ON p.scenario = t.scenario
WHERE t.is_total = h.any_total
  AND (t.is_total OR (t.firm <> $all AND t.workload <> $all))
GROUP BY t.scenario, t.calibration, p.calibration, t.series, t.month
ORDER BY t.scenario, t.calibration, t.series, t.month;
