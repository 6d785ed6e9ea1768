-- Export: Monte Carlo bands as published with this run (grain: scenario x calibration x month
-- x firm x workload x sku x vendor x metric). The view sorts by that grain already; the frame
-- is sorted again in polars (chipcast.store.warehouse.EXPORT_ORDER: cheap on sorted rows), so
-- the file's order does not rest on the view's.
SELECT * FROM mart_bands;
