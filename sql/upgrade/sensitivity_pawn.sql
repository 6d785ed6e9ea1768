-- upgrade: add sensitivity.pawn to a warehouse written before it existed (no-op otherwise;
-- grain unchanged: sensitivity's own).
ALTER TABLE sensitivity ADD COLUMN IF NOT EXISTS pawn DOUBLE;
