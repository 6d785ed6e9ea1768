-- latest_sensitivity: the sensitivity rows of a scenario's latest published run (grain: headline
-- x input x method); empty when that run stored none. Parameter: $scenario.
SELECT s.*
FROM sensitivity AS s
JOIN latest_runs AS l ON l.run_id = s.run_id AND l.scenario = s.scenario
WHERE s.scenario = $scenario
ORDER BY s.headline, s.method, s.swing DESC NULLS LAST, s.st DESC NULLS LAST, s.input;
