-- mart_vintages: which run each view shows for each scenario (grain: view_name x scenario):
-- the latest published run with rows, for that scenario, in every table the view needs
-- (view_needs, written from chipcast.contracts.marts; run_contents says what each run wrote).
CREATE OR REPLACE VIEW mart_vintages AS
WITH needs AS (
    SELECT view_name, count(*) AS n, list(table_name ORDER BY table_name) AS tables
    FROM view_needs
    GROUP BY view_name
),
complete AS (  -- runs that have every needed table for the scenario
    SELECT d.view_name, c.scenario, c.run_id
    FROM view_needs AS d
    JOIN needs AS n ON n.view_name = d.view_name
    JOIN run_contents AS c ON c.table_name = d.table_name AND c.rows > 0
    JOIN runs AS r ON r.run_id = c.run_id AND r.status = 'published'
    GROUP BY d.view_name, c.scenario, c.run_id, n.n
    HAVING count(DISTINCT d.table_name) = n.n
)
SELECT c.view_name, c.scenario, max(c.run_id) AS run_id, any_value(n.tables) AS needs
FROM complete AS c
JOIN needs AS n ON n.view_name = c.view_name
GROUP BY c.view_name, c.scenario
ORDER BY {order_by};
