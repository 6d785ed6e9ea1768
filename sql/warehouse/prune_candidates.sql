-- warehouse/prune_candidates: every run of the warehouse and whether a prune keeps it
-- (grain: run_id). Kept: the $keep newest published runs, and every run a view shows
-- (mart_vintages), so a prune leaves the published marts unchanged.
WITH newest AS (
    SELECT run_id FROM runs WHERE status = 'published' ORDER BY run_id DESC LIMIT $keep
),
shown AS (
    SELECT DISTINCT run_id FROM mart_vintages
)
SELECT r.run_id,
       r.run_id IN (SELECT run_id FROM newest) OR r.run_id IN (SELECT run_id FROM shown) AS kept
FROM runs AS r
ORDER BY r.run_id;
