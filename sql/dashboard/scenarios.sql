-- dashboard/scenarios: the scenarios and calibrations the published headlines offer
-- (grain: scenario x calibration), base first.
SELECT scenario, calibration
FROM mart_headlines
GROUP BY scenario, calibration
ORDER BY scenario <> 'base', scenario, calibration <> 'prior', calibration;
