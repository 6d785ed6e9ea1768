-- stg_correlations: data/correlations.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x group x table x metric.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_correlations (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "group" VARCHAR,
    "table" VARCHAR,
    "metric" VARCHAR,
    "rho" DOUBLE,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
