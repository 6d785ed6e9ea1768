-- upgrade: add forecast_quantiles.vendor to a warehouse written before it existed (no-op otherwise; rows
-- written before have no vendor split: 'all'). Grain: forecast_quantiles's own.
ALTER TABLE forecast_quantiles ADD COLUMN IF NOT EXISTS vendor VARCHAR DEFAULT 'all';
