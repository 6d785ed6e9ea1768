-- warehouse/insert_by_name: append the registered frame `_append_frame` to a warehouse table,
-- matching columns by name (grain: the table's); table columns the frame lacks take their
-- DEFAULT (or NULL). {table} is a warehouse table name checked by chipcast.store.warehouse.
INSERT INTO {table} BY NAME SELECT * FROM _append_frame;
