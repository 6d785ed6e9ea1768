-- stg_chip_specs: data/chip_specs.csv as read for each scenario of a run, typed; a numeric input table (long: one number per row with unit, source and distribution).
-- Grain: run_id x scenario x sku x metric.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_chip_specs (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "sku" VARCHAR,
    "metric" VARCHAR,
    "value" DOUBLE,
    "unit" VARCHAR,
    "dist" VARCHAR,
    "low" DOUBLE,
    "mode" DOUBLE,
    "high" DOUBLE,
    "source" VARCHAR,
    "note" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
