-- Export: this run's forecast rows (grain: month x scenario x firm x workload x sku x vendor x
-- metric).
SELECT * FROM forecast WHERE run_id = $run_id
ORDER BY scenario, month, firm, workload, sku, vendor, metric;
