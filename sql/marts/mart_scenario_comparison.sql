-- mart_scenario_comparison: the headline numbers of each scenario side by side (grain:
-- scenario), from the latest published run with headline rows for the scenario (mart_vintages;
-- first_month/last_month from its forecast rows). Values come from mart_headlines, two columns
-- per headline of chipcast.contracts.HEADLINES (the placeholder below is filled from that
-- registry by chipcast.store.warehouse.mart_sql): <headline> is the published point forecast
-- (the Monte Carlo median: the calibrated one when the run was calibrated, else the prior's;
-- the deterministic value for a run without draws; calibration and point_basis say which), and
-- <headline>_deterministic has every input at its point value. peak_month: the month of the
-- deterministic peak of installed units (the earliest month within 1e-9 relative of the peak).
CREATE OR REPLACE VIEW mart_scenario_comparison AS
WITH v AS (
    SELECT scenario, run_id FROM mart_vintages WHERE view_name = 'mart_scenario_comparison'
),
mh AS (
    SELECT m.*
    FROM mart_headlines AS m
    JOIN v ON m.run_id = v.run_id AND m.scenario = v.scenario
),
pick AS (
    SELECT scenario,
           CASE WHEN bool_or(calibration = 'posterior') THEN 'posterior' ELSE 'prior' END
               AS calibration
    FROM mh
    GROUP BY scenario
),
p AS (
    SELECT mh.* FROM mh JOIN pick USING (scenario, calibration)
),
span AS (
    SELECT f.scenario, min(f.month) AS first_month, max(f.month) AS last_month
    FROM forecast AS f
    JOIN v ON f.run_id = v.run_id AND f.scenario = v.scenario
    GROUP BY f.scenario
)
SELECT
    v.scenario,
    v.run_id,
    any_value(p.calibration) AS calibration,
    any_value(p.point_basis) AS point_basis,
{headline_columns},
    max(p.month) FILTER (WHERE p.headline = 'peak_installed_units') AS peak_month,
    any_value(s.first_month) AS first_month,
    any_value(s.last_month) AS last_month
FROM v
LEFT JOIN p ON p.scenario = v.scenario
LEFT JOIN span AS s ON s.scenario = v.scenario
GROUP BY v.scenario, v.run_id
ORDER BY {order_by};
