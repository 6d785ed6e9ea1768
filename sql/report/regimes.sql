-- report/regimes: export-control regimes the run read (grain: scenario x regime): when each
-- starts and which SKUs it allows.
SELECT scenario, regime, min(start_date) AS start_date, max(end_date) AS end_date,
       list(DISTINCT sku ORDER BY sku) AS skus
FROM stg_export_regimes
WHERE run_id = $run_id
GROUP BY scenario, regime
ORDER BY scenario, start_date, regime;
