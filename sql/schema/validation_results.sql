-- validation_results: one row per evaluated expectation of a run
-- (grain: run_id x suite x expectation x column; column NULL for table-level expectations).
-- sample holds a few offending values as text.
CREATE TABLE IF NOT EXISTS validation_results (
    run_id           VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    expectation      VARCHAR NOT NULL,
    "column"         VARCHAR,
    success          BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    sample           VARCHAR,
    checked_at       TIMESTAMPTZ
);
