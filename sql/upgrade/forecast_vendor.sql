-- upgrade: add forecast.vendor to a warehouse written before it existed (no-op otherwise; rows
-- written before have no vendor split: 'all'). Grain: forecast's own.
ALTER TABLE forecast ADD COLUMN IF NOT EXISTS vendor VARCHAR DEFAULT 'all';
