-- report/seed_need: one scenario's required compute summed over buyers and workloads
-- (grain: month), in A100-eq, with the number of buyers that need compute that month. Only the
-- per-buyer x workload rows are summed (rows with firm or workload $all are their totals).
SELECT month, sum(value) AS total, count(DISTINCT firm) FILTER (WHERE value > 0) AS firms
FROM mart_demand_monthly
WHERE run_id = $run_id AND scenario = $scenario AND metric = 'a100_equivalents_required'
    AND firm <> $all AND workload <> $all
GROUP BY month
ORDER BY month;
