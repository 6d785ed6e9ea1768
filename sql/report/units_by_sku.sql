-- report/units_by_sku: physical units of the run per SKU, all buyers and workloads
-- (grain: scenario x month x sku x metric); units_shipped in units/month, units_installed in
-- units. The vendor and market totals (sku $all) are left out. family orders SKUs of one
-- family together.
-- {mart_demand_total}: the view, or its rows just exported from the same file
-- (chipcast.report.data.EXPORTED_VIEWS; an identifier, never user data).
SELECT t.scenario, t.month, t.sku, t.metric,
       any_value(coalesce(c.family, split_part(t.sku, '-', 1))) AS family,
       any_value(coalesce(c.vendor, t.vendor)) AS vendor,
       sum(t.value) AS value
FROM {mart_demand_total} AS t
LEFT JOIN stg_chips AS c ON c.run_id = t.run_id AND c.scenario = t.scenario AND c.sku = t.sku
WHERE t.run_id = $run_id AND t.metric IN ('units_shipped', 'units_installed') AND t.sku <> $all
GROUP BY t.scenario, t.month, t.sku, t.metric
ORDER BY t.scenario, t.month, t.sku, t.metric;
