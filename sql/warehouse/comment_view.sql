-- warehouse/comment_view: the comment of one BI view (grain: view). DuckDB's COMMENT ON takes
-- no parameters: {view} and {comment} (a quoted literal) come from chipcast.contracts.marts,
-- never from user data.
COMMENT ON VIEW {view} IS {comment};
