-- headlines: the headline numbers of each scenario of a run, computed once in Python from the
-- model (chipcast.model.series, definitions in chipcast.contracts.HEADLINES)
-- (grain: run_id x scenario x calibration x headline x stat x quantile).
-- stat 'deterministic': every input at its point value; 'mean' and 'quantile' (quantile in
-- (0, 1)) over the Monte Carlo draws. month: the month the value refers to (a peak's month for
-- the deterministic row, else the last month of the headline's window). calibration 'prior'
-- (and the deterministic rows) or 'posterior' (the draws actuals.csv does not rule out).
CREATE TABLE IF NOT EXISTS headlines (
    run_id   VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    headline VARCHAR NOT NULL,
    stat     VARCHAR NOT NULL,
    quantile DOUBLE,
    month    DATE NOT NULL,
    value    DOUBLE NOT NULL,
    unit     VARCHAR NOT NULL,
    calibration VARCHAR NOT NULL DEFAULT 'prior'
);
