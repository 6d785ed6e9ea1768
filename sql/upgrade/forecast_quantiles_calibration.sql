-- upgrade: add forecast_quantiles.calibration to a warehouse written before it existed (no-op otherwise; grain
-- unchanged: forecast_quantiles's own).
ALTER TABLE forecast_quantiles ADD COLUMN IF NOT EXISTS calibration VARCHAR DEFAULT 'prior';
