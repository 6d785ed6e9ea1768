-- mart_scenario_comparison: the deterministic headline numbers of each scenario side by side
-- (grain: scenario), from the latest published run with headline rows for the scenario
-- (mart_vintages; first_month/last_month from its forecast rows). Values come from the
-- `headlines` table (computed once in Python:
-- chipcast.model.series), one column per headline of chipcast.contracts.HEADLINES (the
-- placeholder below is filled from that registry by chipcast.store.warehouse.mart_sql).
-- peak_month: the month of the deterministic peak of installed units (the earliest month within
-- 1e-9 relative of the peak). mart_headlines has the percentiles and the published point.
CREATE OR REPLACE VIEW mart_scenario_comparison AS
WITH v AS (
    SELECT scenario, run_id FROM mart_vintages WHERE view_name = 'mart_scenario_comparison'
),
h AS (
    SELECT h.*
    FROM headlines AS h
    JOIN v ON h.run_id = v.run_id AND h.scenario = v.scenario
    WHERE h.stat = 'deterministic'
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
{headline_columns},
    max(h.month) FILTER (WHERE h.headline = 'peak_installed_units') AS peak_month,
    any_value(s.first_month) AS first_month,
    any_value(s.last_month) AS last_month
FROM v
LEFT JOIN h ON h.scenario = v.scenario
LEFT JOIN span AS s ON s.scenario = v.scenario
GROUP BY v.scenario, v.run_id
ORDER BY {order_by};
