-- stg_firms: data/firms.csv as read for each scenario of a run, typed; an identity input table.
-- Grain: run_id x scenario x firm.
-- _file/_row point back to the source file and 1-based data row.
CREATE TABLE IF NOT EXISTS stg_firms (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
    "firm" VARCHAR,
    "name" VARCHAR,
    "name_zh" VARCHAR,
    "sector" VARCHAR,
    "rationale" VARCHAR,
    "source" VARCHAR,
    "_file" VARCHAR,
    "_row" BIGINT
);
