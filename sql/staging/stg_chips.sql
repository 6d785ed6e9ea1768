-- stg_chips: data/chips.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x sku.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_chips (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "sku" VARCHAR,
    "family" VARCHAR,
    "aliases" VARCHAR[],
    "vendor" VARCHAR,
    "form_factor" VARCHAR,
    "launch_date" DATE,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
