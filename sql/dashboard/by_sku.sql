-- dashboard/by_sku: one metric per SKU (firms and workloads summed) with the SKU's vendor and
-- family, for one scenario and calibration (grain: sku x month): the point forecast.
SELECT f.month, f.sku, coalesce(s.vendor, 'other') AS vendor,
       coalesce(s.family, f.sku) AS family, f.point, f.unit
FROM mart_forecast AS f
LEFT JOIN mart_skus AS s ON s.scenario = f.scenario AND s.sku = f.sku
WHERE f.scenario = $scenario AND f.calibration = $calibration AND f.metric = $metric
  AND f.firm = 'all' AND f.workload = 'all' AND f.sku <> 'all'
ORDER BY f.sku, f.month;
