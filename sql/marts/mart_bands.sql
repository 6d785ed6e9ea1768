-- mart_bands: Monte Carlo bands of the latest published run with quantiles, per scenario
-- (grain: scenario x month x firm x workload x sku x vendor x metric); one column per quantile
-- (p05, p10, p50, p90, p95) and the mean, in the series' unit. calibration: the run's published
-- summaries, 'posterior' (weighted by actuals.csv) when the run was calibrated, else 'prior'
-- (as mart_scenario_comparison's point). A quantile is matched by its value (to 1e-9), so it
-- does not matter how the producer names `stat` for quantile rows.
CREATE OR REPLACE VIEW mart_bands AS
WITH latest AS (
    SELECT q.scenario, max(q.run_id) AS run_id
    FROM forecast_quantiles AS q
    JOIN runs AS r ON r.run_id = q.run_id
    WHERE r.status = 'published'
    GROUP BY q.scenario
),
basis AS (
    SELECT q.scenario, q.run_id,
           CASE WHEN bool_or(q.calibration = 'posterior') THEN 'posterior' ELSE 'prior' END
               AS calibration
    FROM forecast_quantiles AS q
    JOIN latest AS l ON q.run_id = l.run_id AND q.scenario = l.scenario
    GROUP BY q.scenario, q.run_id
)
SELECT
    q.scenario, q.month, q.firm, q.workload, q.sku, q.vendor, q.metric, q.unit,
    max(q.value) FILTER (WHERE abs(q.quantile - 0.05) < 1e-9) AS p05,
    max(q.value) FILTER (WHERE abs(q.quantile - 0.10) < 1e-9) AS p10,
    max(q.value) FILTER (WHERE abs(q.quantile - 0.50) < 1e-9) AS p50,
    max(q.value) FILTER (WHERE abs(q.quantile - 0.90) < 1e-9) AS p90,
    max(q.value) FILTER (WHERE abs(q.quantile - 0.95) < 1e-9) AS p95,
    max(q.value) FILTER (WHERE q.stat = 'mean') AS mean,
    q.calibration,
    q.run_id
FROM forecast_quantiles AS q
JOIN basis AS b
    ON q.run_id = b.run_id AND q.scenario = b.scenario AND q.calibration = b.calibration
GROUP BY q.run_id, q.scenario, q.calibration, q.month, q.firm, q.workload, q.sku, q.vendor,
    q.metric, q.unit;
