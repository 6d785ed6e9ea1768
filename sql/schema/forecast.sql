-- forecast: the deterministic monthly forecast, long
-- (grain: run_id x month x scenario x firm x workload x sku x metric).
-- Rows are leaves: totals are sums over firms/workloads/skus (marts sum). Units per metric:
-- a100_equivalents_required, a100_equivalents 'A100-eq'; a100_equivalents_shipped
-- 'A100-eq/month'; units_installed 'units'; units_shipped 'units/month'; capex_usd 'USD/month'.
-- Units and capex exist for chips of known SKUs only ('other' vendors: A100-eq metrics only).
CREATE TABLE IF NOT EXISTS forecast (
    run_id   VARCHAR NOT NULL,
    month    DATE NOT NULL,          -- first day of the month
    scenario VARCHAR NOT NULL,
    firm     VARCHAR NOT NULL,
    workload VARCHAR NOT NULL,       -- training | inference
    sku      VARCHAR NOT NULL,       -- a chips.sku, 'other' (A100-eq only) or 'all' (need)
    metric   VARCHAR NOT NULL,
    value    DOUBLE NOT NULL,
    unit     VARCHAR NOT NULL
);
