-- runs: one row per pipeline run that reached the warehouse (grain: run_id).
-- status: running -> published (a failed run's private copy is discarded; see forecasts/runs.log).
-- run_id sorts by start time: UTC timestamp + short random hex.
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    scenarios     VARCHAR[] NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'failed', 'published')),
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    config        JSON NOT NULL,
    seed          BIGINT NOT NULL,
    draws         INTEGER NOT NULL,
    sampler       VARCHAR NOT NULL,
    code_version  VARCHAR NOT NULL,
    input_hash    VARCHAR,          -- sha256 over the sorted (path, sha256) pairs of input_files
    forecast_rows BIGINT,
    error         VARCHAR
);
