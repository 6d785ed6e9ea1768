-- Export: the back-test of this run (grain: scenario x calibration x id).
SELECT * FROM backtest WHERE run_id = $run_id ORDER BY scenario, calibration, id;
