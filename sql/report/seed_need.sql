-- report/seed_need: one scenario's required compute summed over buyers and workloads from the
-- per-buyer rows (grain: month), in A100-eq, with the number of buyers that need compute that
-- month.
SELECT month, sum(value) AS total, count(DISTINCT firm) FILTER (WHERE value > 0) AS firms
FROM mart_demand_monthly
WHERE run_id = $run_id AND scenario = $scenario AND metric = 'a100_equivalents_required'
  AND firm <> 'all'
GROUP BY month
ORDER BY month;
