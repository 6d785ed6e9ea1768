-- dashboard/has_view: whether the file has a view of that name (grain: one row), e.g.
-- mart_backtest, which newer pipelines add.
SELECT count(*) > 0 AS present
FROM duckdb_views()
WHERE database_name = current_database() AND view_name = $name;
