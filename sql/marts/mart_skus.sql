-- mart_skus: the accelerator SKUs (chips.csv as the run read it) of the run mart_forecast shows
-- for each scenario (grain: scenario x sku).
CREATE OR REPLACE VIEW mart_skus AS
SELECT c.scenario, c.sku, c.family, c.vendor, c.form_factor, c.launch_date, c.export_control,
       c.run_id
FROM stg_chips AS c
JOIN mart_vintages AS v
  ON v.view_name = 'mart_skus' AND v.scenario = c.scenario AND v.run_id = c.run_id
ORDER BY {order_by};
