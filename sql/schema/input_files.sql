-- input_files: one row per input file read by a run for a scenario
-- (grain: run_id x scenario x path). sha256 is of the file's bytes; rows counts data rows.
CREATE TABLE IF NOT EXISTS input_files (
    run_id    VARCHAR NOT NULL,
    scenario  VARCHAR NOT NULL,
    path      VARCHAR NOT NULL,     -- relative to the run's data_dir
    sha256    VARCHAR NOT NULL,
    rows      BIGINT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
