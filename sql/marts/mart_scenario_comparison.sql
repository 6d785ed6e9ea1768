-- mart_scenario_comparison: the headline numbers of the latest published run of each scenario
-- side by side (grain: scenario). Values come from the `headlines` table (computed once in
-- Python from the model: chipcast.model.series), one column per headline of
-- chipcast.contracts.HEADLINES (its name; the placeholder below is filled from that registry
-- by chipcast.store.warehouse.mart_sql). peak_month: the month of the deterministic
-- peak of installed units (the earliest month reaching it).
CREATE OR REPLACE VIEW mart_scenario_comparison AS
WITH h AS (
    SELECT h.*
    FROM headlines AS h
    JOIN latest_runs AS l ON h.run_id = l.run_id AND h.scenario = l.scenario
    WHERE h.stat = 'deterministic'
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
{headline_columns},
    max(h.month) FILTER (WHERE h.headline = 'peak_installed_units') AS peak_month,
    any_value(s.first_month) AS first_month,
    any_value(s.last_month) AS last_month
FROM latest_runs AS l
LEFT JOIN h ON h.scenario = l.scenario
LEFT JOIN span AS s ON s.scenario = l.scenario
GROUP BY l.scenario, l.run_id
ORDER BY l.scenario;
