-- Export: the headline numbers as published with this run (grain: scenario x calibration x
-- headline).
SELECT * FROM mart_headlines ORDER BY scenario, calibration, headline;
