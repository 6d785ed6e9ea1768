-- backtest: how each scenario's Monte Carlo fared against the reported figures of actuals.csv
-- (grain: run_id x scenario x calibration x id). Quantiles are of exactly the reported
-- quantity computed per draw (a sum over the window of one draw, then quantiles across
-- draws); calibration 'prior' scores the plain draws, 'posterior' the draws not ruled out by
-- the actuals published by fit_until (history matching; fitted says which). inside: value lies
-- within p10..p90; ratio: value / p50; ess: the draws the calibration kept.
CREATE TABLE IF NOT EXISTS backtest (
    run_id      VARCHAR NOT NULL,
    scenario    VARCHAR NOT NULL,
    calibration VARCHAR NOT NULL,
    id          VARCHAR NOT NULL,
    quantity    VARCHAR NOT NULL,
    unit        VARCHAR NOT NULL,
    value       DOUBLE NOT NULL,
    low         DOUBLE NOT NULL,
    high        DOUBLE NOT NULL,
    p10         DOUBLE NOT NULL,
    p50         DOUBLE NOT NULL,
    p90         DOUBLE NOT NULL,
    inside      BOOLEAN NOT NULL,
    ratio       DOUBLE NOT NULL,
    published   DATE NOT NULL,
    fitted      BOOLEAN NOT NULL,
    fit_until   DATE,
    draws       BIGINT NOT NULL,
    ess         DOUBLE
);
