-- Whether mart_bands shows, for every scenario, the run mart_forecast shows (grain: one row;
-- same is true when no scenario is shown by one view and not the other with that run). Then
-- mart_bands' rows are mart_forecast's rows whose point is the Monte Carlo median
-- (chipcast.store.warehouse.bands_from_forecast); after a --draws 0 run they differ.
SELECT count(*) = 0 AS same
FROM (SELECT scenario, run_id FROM mart_vintages WHERE view_name = 'mart_forecast') AS f
FULL JOIN (SELECT scenario, run_id FROM mart_vintages WHERE view_name = 'mart_bands') AS b
  ON f.scenario = b.scenario AND f.run_id = b.run_id
WHERE f.scenario IS NULL OR b.scenario IS NULL;
