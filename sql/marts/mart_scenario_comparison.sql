-- mart_scenario_comparison: the headline numbers of the latest published run of each scenario
-- side by side (grain: scenario). Values come from the `headlines` table (computed once in
-- Python from the model: chipcast.model.series), two columns per headline of
-- chipcast.contracts.HEADLINES (the placeholder below is filled from that registry by
-- chipcast.store.warehouse.mart_sql): <headline> is the published point forecast, the Monte
-- Carlo median (the calibrated posterior's when the run was calibrated, else the prior's; the
-- deterministic value for a run without draws), point_basis says which;
-- <headline>_deterministic has every input at its point value. peak_month: the month of the
-- deterministic peak of installed units (the earliest month within 1e-9 of the peak).
CREATE OR REPLACE VIEW mart_scenario_comparison AS
WITH h AS (
    SELECT h.*
    FROM headlines AS h
    JOIN latest_runs AS l ON h.run_id = l.run_id AND h.scenario = l.scenario
),
basis AS (
    SELECT scenario,
           CASE WHEN bool_or(calibration = 'posterior') THEN 'posterior p50'
                WHEN bool_or(stat = 'quantile') THEN 'prior p50'
                ELSE 'deterministic' END AS point_basis
    FROM h
    GROUP BY scenario
),
point AS (
    SELECT h.*
    FROM h
    JOIN basis AS b ON b.scenario = h.scenario
    WHERE (b.point_basis = 'deterministic' AND h.stat = 'deterministic')
       OR (b.point_basis = 'prior p50' AND h.calibration = 'prior' AND h.stat = 'quantile'
           AND abs(h.quantile - 0.5) < 1e-9)
       OR (b.point_basis = 'posterior p50' AND h.calibration = 'posterior'
           AND h.stat = 'quantile' AND abs(h.quantile - 0.5) < 1e-9)
),
span AS (
    SELECT f.scenario, min(f.month) AS first_month, max(f.month) AS last_month
    FROM forecast AS f
    JOIN latest_runs AS l ON f.run_id = l.run_id AND f.scenario = l.scenario
    GROUP BY f.scenario
)
SELECT
    l.scenario,
    l.run_id,
    any_value(b.point_basis) AS point_basis,
{headline_columns},
    max(h.month) FILTER (WHERE h.headline = 'peak_installed_units'
                         AND h.stat = 'deterministic') AS peak_month,
    any_value(s.first_month) AS first_month,
    any_value(s.last_month) AS last_month
FROM latest_runs AS l
LEFT JOIN h ON h.scenario = l.scenario
LEFT JOIN point AS p ON p.scenario = h.scenario AND p.headline = h.headline
    AND p.stat = h.stat AND p.calibration = h.calibration
    AND p.quantile IS NOT DISTINCT FROM h.quantile
LEFT JOIN basis AS b ON b.scenario = l.scenario
LEFT JOIN span AS s ON s.scenario = l.scenario
GROUP BY l.scenario, l.run_id
ORDER BY l.scenario;
