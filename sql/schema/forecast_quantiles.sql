-- forecast_quantiles: Monte Carlo summaries of the forecast's series
-- (grain: run_id x scenario x calibration x month x firm x workload x sku x vendor x metric x
-- stat x quantile). stat 'quantile' rows carry quantile in (0, 1); stat 'mean' rows have
-- quantile NULL. calibration 'prior': the plain draws; 'posterior': the draws not ruled out by the
-- reported figures of actuals.csv (history matching, chipcast.uncertainty.backtest). Headline series carry the
-- headline's name as metric.
CREATE TABLE IF NOT EXISTS forecast_quantiles (
    run_id      VARCHAR NOT NULL,
    scenario    VARCHAR NOT NULL,
    month       DATE NOT NULL,
    firm        VARCHAR NOT NULL,
    workload    VARCHAR NOT NULL,
    sku         VARCHAR NOT NULL,
    vendor      VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,
    stat        VARCHAR NOT NULL,
    quantile    DOUBLE,
    value       DOUBLE NOT NULL,
    unit        VARCHAR NOT NULL,
    calibration VARCHAR NOT NULL DEFAULT 'prior'
);
