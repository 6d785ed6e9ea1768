-- run_contents: what a published run wrote, per scenario and table
-- (grain: run_id x scenario x table_name). Written when a run is closed as published; the
-- views pick their run (vintage) from it: the latest run with rows in every table they need.
CREATE TABLE IF NOT EXISTS run_contents (
    run_id     VARCHAR NOT NULL,
    scenario   VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    rows       BIGINT NOT NULL,
    PRIMARY KEY (run_id, scenario, table_name)
);
