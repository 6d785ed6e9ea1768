-- forecast_quantiles: Monte Carlo summaries of the forecast
-- (grain: run_id x scenario x month x firm x workload x sku x metric x stat x quantile).
-- stat 'quantile' rows carry quantile in (0, 1); stat 'mean' rows have quantile NULL.
-- calibration: which input distributions were drawn ('prior' as written in data/, 'posterior'
-- once calibrated to observations).
CREATE TABLE IF NOT EXISTS forecast_quantiles (
    run_id   VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    month    DATE NOT NULL,
    firm     VARCHAR NOT NULL,
    workload VARCHAR NOT NULL,
    sku      VARCHAR NOT NULL,
    metric   VARCHAR NOT NULL,
    stat     VARCHAR NOT NULL,
    quantile DOUBLE,
    value    DOUBLE NOT NULL,
    unit     VARCHAR NOT NULL,
    calibration VARCHAR NOT NULL DEFAULT 'prior'
);
