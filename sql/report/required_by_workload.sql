-- report/required_by_workload: required compute of the run summed over firms
-- (grain: scenario x month x workload), in A100-eq.
SELECT scenario, month, workload, sum(value) AS value
FROM mart_demand_total
WHERE run_id = $run_id AND metric = 'a100_equivalents_required'
GROUP BY scenario, month, workload
ORDER BY scenario, month, workload;
