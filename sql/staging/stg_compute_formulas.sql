-- stg_compute_formulas: data/compute_formulas.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x name.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_compute_formulas (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "name" VARCHAR,
    "expression" VARCHAR,
    "unit" VARCHAR,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
