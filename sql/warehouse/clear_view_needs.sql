-- warehouse/clear_view_needs: empty view_needs before it is rewritten from the registry
-- (grain: view_name x table_name).
DELETE FROM view_needs;
