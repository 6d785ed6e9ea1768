-- upgrade: add headlines.calibration to a warehouse written before it existed (no-op otherwise; grain
-- unchanged: headlines's own).
ALTER TABLE headlines ADD COLUMN IF NOT EXISTS calibration VARCHAR DEFAULT 'prior';
