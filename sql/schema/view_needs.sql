-- view_needs: the tables each BI view needs a run to have rows in before it shows that run
-- (grain: view_name x table_name). Rewritten from chipcast.contracts.marts with the views.
CREATE TABLE IF NOT EXISTS view_needs (
    view_name  VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL
);
