-- The storage format tag of an attached database (e.g. 'v1.4.0+'), NULL if unknown.
SELECT tags['storage_version'] AS storage_version
FROM duckdb_databases()
WHERE database_name = $name;
