-- dashboard/tornado: the inputs that move one headline most, for one scenario
-- (grain: input): its value with the input at P10 and P90 around the all-at-median baseline.
SELECT "input", low, high, swing, baseline, unit, run_id
FROM mart_sensitivity
WHERE scenario = $scenario AND headline = $headline AND method = 'tornado'
ORDER BY swing DESC NULLS LAST, "input"
LIMIT 12;
