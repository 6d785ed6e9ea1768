-- stg_export_regimes: data/export_regimes.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x regime x sku.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_export_regimes (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "regime" VARCHAR,
    "start_date" DATE,
    "end_date" DATE,
    "sku" VARCHAR,
    "mix_share" DOUBLE,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
