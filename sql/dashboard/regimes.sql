-- dashboard/regimes: the export-control regimes of one scenario (grain: regime): when each
-- starts and ends, and the SKUs it allows.
SELECT regime, min(start_date) AS start_date, max(end_date) AS end_date,
       string_agg(sku, ', ' ORDER BY sku) AS skus
FROM mart_export_regimes
WHERE scenario = $scenario
GROUP BY regime
ORDER BY start_date, regime;
