-- report/required_by_workload: required compute of the run, all buyers, per workload
-- (grain: scenario x month x workload), in A100-eq: mart_demand_total's rows per workload (its
-- total over workloads, workload $all, is left out: it would be stacked twice).
-- {mart_demand_total}: the view, or its rows just exported from the same file
-- (chipcast.report.data.EXPORTED_VIEWS; an identifier, never user data).
SELECT scenario, month, workload, sum(value) AS value
FROM {mart_demand_total}
WHERE run_id = $run_id AND metric = 'a100_equivalents_required' AND workload <> $all
GROUP BY scenario, month, workload
ORDER BY scenario, month, workload;
