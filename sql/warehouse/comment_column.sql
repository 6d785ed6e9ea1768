-- warehouse/comment_column: the comment of one column of a BI view (grain: view x column).
-- {view}, {column} and {comment} (a quoted literal) come from chipcast.contracts.marts.
COMMENT ON COLUMN {view}.{column} IS {comment};
