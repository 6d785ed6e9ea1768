-- mart_headlines: the headline numbers of each scenario (grain: scenario x calibration x
-- headline), from the latest published run with headline rows for the scenario (mart_vintages).
-- point: the Monte Carlo median when the run drew, else the deterministic value (every input
-- at its point value, one per run and scenario, shown under each calibration the run drew).
-- month: the deterministic row's month (a peak's month: the earliest month within 1e-9
-- relative of the maximum, chipcast.model.series; else the window's last month). Label, unit,
-- window and definition: headline_catalogue (chipcast.contracts.HEADLINES).
CREATE OR REPLACE VIEW mart_headlines AS
WITH h AS (
    SELECT h.*
    FROM headlines AS h
    JOIN mart_vintages AS v
      ON v.view_name = 'mart_headlines' AND v.scenario = h.scenario AND v.run_id = h.run_id
),
det AS (
    SELECT run_id, scenario, headline, max(value) AS deterministic, max(month) AS month
    FROM h WHERE stat = 'deterministic'
    GROUP BY run_id, scenario, headline
),
mc AS (
    SELECT run_id, scenario, calibration, headline,
           max(value) FILTER (WHERE stat = 'mean') AS mean,
{quantile_columns}
    FROM h WHERE stat <> 'deterministic'
    GROUP BY run_id, scenario, calibration, headline
),
calibrations AS (
    SELECT DISTINCT run_id, scenario, calibration FROM mc
    UNION
    SELECT DISTINCT run_id, scenario, 'prior' FROM det AS d
    WHERE NOT EXISTS (SELECT 1 FROM mc WHERE mc.run_id = d.run_id AND mc.scenario = d.scenario)
)
SELECT
    d.scenario, c.calibration, d.headline, k.label,
    coalesce(m.p50, d.deterministic) AS point,
    CASE WHEN m.p50 IS NULL THEN 'deterministic' ELSE 'p50' END AS point_basis,
    d.deterministic, m.mean,
{quantile_select},
    k.unit, k."window", d.month, k.definition, d.run_id
FROM det AS d
JOIN calibrations AS c ON c.run_id = d.run_id AND c.scenario = d.scenario
LEFT JOIN mc AS m
  ON m.run_id = d.run_id AND m.scenario = d.scenario AND m.calibration = c.calibration
 AND m.headline = d.headline
LEFT JOIN headline_catalogue AS k ON k.headline = d.headline
ORDER BY {order_by};
