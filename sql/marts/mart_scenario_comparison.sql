-- mart_scenario_comparison: headline numbers of the latest published run of each scenario
-- (grain: scenario).
-- The headlines are those of chipcast.montecarlo.HEADLINES (same names, same definitions):
--   a100_a800_units_shipped_2023_2025  units: A100 and A800 family SKUs shipped 2023-01..2025-12
--   a100e_shipped_2023_2030            A100-eq: compute shipped 2023-01..2030-12 (every
--                                      vendor, 'other' included)
--   peak_installed_a100e               A100-eq: highest month of installed compute
--   peak_installed_units               units: highest month of units installed (chips of
--                                      known SKUs; 'other' vendors only in A100-eq)
--   peak_month                         the first month reaching the unit peak
--   total_capex_usd                    USD: capex summed over the whole horizon (chips of
--                                      known SKUs; 'other' vendors only in A100-eq)
-- A SKU's family comes from the run's stg_chips; a SKU missing there falls back to the text
-- before its first '-' (A100-80GB-SXM -> A100).
CREATE OR REPLACE VIEW mart_scenario_comparison AS
WITH demand AS (
    SELECT m.*, coalesce(c.family, split_part(m.sku, '-', 1)) AS family
    FROM mart_demand_monthly AS m
    LEFT JOIN stg_chips AS c
        ON c.run_id = m.run_id AND c.scenario = m.scenario AND c.sku = m.sku
),
installed AS (
    SELECT scenario, month,
           sum(value) FILTER (WHERE metric = 'units_installed') AS units,
           sum(value) FILTER (WHERE metric = 'a100_equivalents') AS a100e
    FROM demand
    WHERE metric IN ('units_installed', 'a100_equivalents')
    GROUP BY scenario, month
),
peak AS (
    SELECT scenario, max(units) AS peak_installed_units,
           arg_max(month, units) AS peak_month,  -- ties: arg_max keeps the first it meets
           max(a100e) AS peak_installed_a100e
    FROM installed
    GROUP BY scenario
)
SELECT
    l.scenario,
    l.run_id,
    coalesce(sum(d.value) FILTER (
        WHERE d.metric = 'units_shipped' AND d.family IN ('A100', 'A800')
          AND d.month >= DATE '2023-01-01' AND d.month < DATE '2026-01-01'
    ), 0) AS a100_a800_units_shipped_2023_2025,
    coalesce(sum(d.value) FILTER (
        WHERE d.metric = 'a100_equivalents_shipped'
          AND d.month >= DATE '2023-01-01' AND d.month < DATE '2031-01-01'
    ), 0) AS a100e_shipped_2023_2030,
    coalesce(any_value(p.peak_installed_a100e), 0) AS peak_installed_a100e,
    coalesce(any_value(p.peak_installed_units), 0) AS peak_installed_units,
    any_value(p.peak_month) AS peak_month,
    coalesce(sum(d.value) FILTER (WHERE d.metric = 'capex_usd'), 0) AS total_capex_usd,
    min(d.month) AS first_month,
    max(d.month) AS last_month
FROM latest_runs AS l
LEFT JOIN demand AS d ON d.scenario = l.scenario
LEFT JOIN peak AS p ON p.scenario = l.scenario
GROUP BY l.scenario, l.run_id;
