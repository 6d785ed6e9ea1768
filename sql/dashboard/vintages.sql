-- dashboard/vintages: which run each view shows for one scenario (grain: view_name).
SELECT view_name, run_id FROM mart_vintages WHERE scenario = $scenario ORDER BY view_name;
