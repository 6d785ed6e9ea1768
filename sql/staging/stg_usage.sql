-- stg_usage: data/usage.csv as read for each scenario of a run, typed; a numeric input table (long: one number per row with unit, source and distribution).
-- Grain: run_id x scenario x firm x metric.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_usage (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "firm" VARCHAR,
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
