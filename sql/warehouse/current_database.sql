-- warehouse/current_database: the name of the connection's default database (grain: one row).
SELECT current_database()
