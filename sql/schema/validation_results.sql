-- validation_results: one row per evaluated expectation of a run
-- (grain: run_id x scenario x suite x position; column NULL for table-level expectations).
-- scenario: the scenario whose inputs or outputs were checked; table_name: the checked table
-- (the suite's name up to its first '.'); position: the expectation's place in its suite;
-- message: what it asserts, in words; sample holds a few offending values as text.
CREATE TABLE IF NOT EXISTS validation_results (
    run_id           VARCHAR NOT NULL,
    suite            VARCHAR NOT NULL,
    expectation      VARCHAR NOT NULL,
    "column"         VARCHAR,
    success          BOOLEAN NOT NULL,
    unexpected_count BIGINT,
    sample           VARCHAR,
    checked_at       TIMESTAMPTZ,
    scenario         VARCHAR,
    table_name       VARCHAR,
    position         INTEGER,
    message          VARCHAR
);
