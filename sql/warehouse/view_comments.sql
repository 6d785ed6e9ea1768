-- warehouse/view_comments: the comment of every view and of its columns, for the docs and
-- their tests (grain: view x column; column NULL for the view's own comment).
SELECT view_name, NULL AS column_name, comment, NULL AS position
FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
UNION ALL
SELECT c.table_name, c.column_name, c.comment, c.column_index
FROM duckdb_columns() AS c
JOIN duckdb_views() AS v
  ON v.database_name = c.database_name AND v.schema_name = c.schema_name
 AND v.view_name = c.table_name
WHERE c.database_name = current_database() AND c.schema_name = 'main' AND NOT v.internal
ORDER BY view_name, position NULLS FIRST;
