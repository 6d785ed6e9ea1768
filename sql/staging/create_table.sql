-- staging/create_table: the staging table of one input table (grain: run_id x scenario x the
-- table's grain), generated from chipcast.contracts.TABLES by chipcast.store.warehouse: the
-- table name and the column list (placeholders below) are identifiers and types from that
-- registry, never user data. Each column is the input file's column, typed; _file/_row point
-- back to the file and its data row.
CREATE TABLE IF NOT EXISTS {table} (
    "run_id" VARCHAR NOT NULL,
    "scenario" VARCHAR NOT NULL,
{columns}
);
