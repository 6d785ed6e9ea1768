-- Columns of one table of the current database, in order (grain: column).
SELECT column_name
FROM information_schema.columns
WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = $table
ORDER BY ordinal_position;
