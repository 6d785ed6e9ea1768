-- report/seed_need: one scenario's required compute summed over firms and workloads
-- (grain: month), in A100-eq, with the number of firms that need compute that month.
SELECT month, sum(value) AS total, count(DISTINCT firm) FILTER (WHERE value > 0) AS firms
FROM mart_demand_monthly
WHERE run_id = $run_id AND scenario = $scenario AND metric = 'a100_equivalents_required'
GROUP BY month
ORDER BY month;
