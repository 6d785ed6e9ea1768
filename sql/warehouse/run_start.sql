-- Record a run as it starts (one row per run_id; status 'running').
INSERT INTO runs (run_id, scenarios, status, started_at, config, seed, draws, sampler,
                  code_version)
VALUES ($run_id, $scenarios, 'running', $started_at, $config, $seed, $draws, $sampler,
        $code_version);
