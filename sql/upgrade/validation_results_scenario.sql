-- upgrade: add validation_results.scenario to a warehouse written before it existed (no-op otherwise; grain
-- unchanged: validation_results's own).
ALTER TABLE validation_results ADD COLUMN IF NOT EXISTS scenario VARCHAR;
