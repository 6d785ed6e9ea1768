-- dashboard/headlines: the headline numbers of one scenario and calibration
-- (grain: headline), ordered by headline id.
SELECT headline, label, point, point_basis, deterministic, p10, p50, p90, unit, "window",
       month, definition, run_id
FROM mart_headlines
WHERE scenario = $scenario AND calibration = $calibration
ORDER BY headline;
