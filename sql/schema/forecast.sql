-- forecast: the deterministic forecast (every input at its point value), long
-- (grain: run_id x month x scenario x firm x workload x sku x vendor x metric).
-- The rows are the published series of chipcast.model.series: need per buyer x workload;
-- fleets per buyer (sku 'all') and per SKU and vendor (firm 'all'); idle compute per buyer;
-- tokens a day per firm; 'all' marks a total. Per buyer and per SKU are two partitions of the
-- same market totals (do not add them together). Units per metric: chipcast.contracts
-- (a100_equivalents_required/a100_equivalents/a100_equivalents_idle 'A100-eq',
-- a100_equivalents_shipped 'A100-eq/month', units_installed 'units', units_shipped
-- 'units/month', capex_usd 'USD/month', tokens_per_day 'tokens/day').
CREATE TABLE IF NOT EXISTS forecast (
    run_id   VARCHAR NOT NULL,
    month    DATE NOT NULL,          -- first day of the month
    scenario VARCHAR NOT NULL,
    firm     VARCHAR NOT NULL,       -- a buyer (firm or market segment) or 'all'
    workload VARCHAR NOT NULL,       -- training | inference | 'all'
    sku      VARCHAR NOT NULL,       -- a chips.sku or 'all'
    vendor   VARCHAR NOT NULL,       -- the SKU's vendor, a vendor total, or 'all'
    metric   VARCHAR NOT NULL,
    value    DOUBLE NOT NULL,
    unit     VARCHAR NOT NULL
);
