-- mart_export_regimes: the export-control regimes (export_regimes.csv as the run read it) of
-- the run mart_forecast shows for each scenario (grain: scenario x start_date x regime x sku).
CREATE OR REPLACE VIEW mart_export_regimes AS
SELECT e.scenario, e.regime, e.start_date, e.end_date, e.sku, e.source, e.run_id
FROM stg_export_regimes AS e
JOIN mart_vintages AS v
  ON v.view_name = 'mart_export_regimes' AND v.scenario = e.scenario AND v.run_id = e.run_id
ORDER BY {order_by};
