"""Storage: the DuckDB warehouse (schema, staging, forecast tables, marts, exports), the run's
publication (lock, private copy, atomic swap) and read-only queries of what was published."""
