-- warehouse/run_draws: the Monte Carlo draws per scenario a run was started with (grain: one
-- row).
SELECT draws FROM runs WHERE run_id = $run_id;
