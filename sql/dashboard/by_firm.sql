-- dashboard/by_firm: one metric per firm (workloads and SKUs summed) for one scenario and
-- calibration (grain: firm x month): the point forecast.
SELECT month, firm, point, unit
FROM mart_forecast
WHERE scenario = $scenario AND calibration = $calibration AND metric = $metric
  AND firm <> 'all' AND workload = 'all' AND sku = 'all'
ORDER BY firm, month;
