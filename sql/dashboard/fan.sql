-- dashboard/fan: one metric's total over firms, workloads and SKUs for one scenario and
-- calibration (grain: month): point, deterministic and the Monte Carlo band.
SELECT month, point, point_basis, deterministic, p05, p10, p50, p90, p95, unit, run_id
FROM mart_forecast
WHERE scenario = $scenario AND calibration = $calibration AND metric = $metric
  AND firm = 'all' AND workload = 'all' AND sku = 'all'
ORDER BY month;
