-- warehouse/prune_table: delete the rows of runs a prune drops from one table keyed by run_id
-- (grain: the table's). {table} is a warehouse table name checked by chipcast.store.retention;
-- $keep is the list of run ids kept.
DELETE FROM {table} WHERE NOT list_contains($keep, run_id);
