-- report/a100_a800_monthly: NVIDIA A100-family units of the run, summed over the family's
-- SKUs from the market's per-SKU rows (firm 'all', every buyer; grain: scenario x month).
-- Every month of the run appears (0 when none). units_shipped in units/month, units_installed
-- in units. $families: the chips.csv families counted (chipcast.contracts.A100_FAMILIES,
-- bound as a list); a SKU's family comes from the run's stg_chips.
-- {mart_demand_total}: the view, or its rows just exported from the same file
-- (chipcast.report.data.EXPORTED_VIEWS; an identifier, never user data).
WITH t AS (
    SELECT t.*, c.family
    FROM {mart_demand_total} AS t
    LEFT JOIN stg_chips AS c
        ON c.run_id = t.run_id AND c.scenario = t.scenario AND c.sku = t.sku
    WHERE t.run_id = $run_id AND t.sku <> 'all'
)
SELECT scenario, month,
       coalesce(sum(value) FILTER (
           WHERE metric = 'units_shipped' AND list_contains($families, family)), 0)
           AS units_shipped,
       coalesce(sum(value) FILTER (
           WHERE metric = 'units_installed' AND list_contains($families, family)), 0)
           AS units_installed
FROM t
GROUP BY scenario, month
ORDER BY scenario, month;
