-- artifacts/backtest: one run's back-test rows for the Prefect run summary, when the warehouse
-- has a backtest table with a run_id column (grain: that table's, for one run; at most 50 rows).
SELECT * EXCLUDE (run_id)
FROM backtest
WHERE run_id = $run_id
LIMIT 50;
