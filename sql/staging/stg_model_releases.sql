-- stg_model_releases: data/model_releases.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x firm x model.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_model_releases (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "firm" VARCHAR,
    "model" VARCHAR,
    "model_class" VARCHAR,
    "release_date" DATE,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
