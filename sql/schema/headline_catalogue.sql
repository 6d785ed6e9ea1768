-- headline_catalogue: the headline definitions (chipcast.contracts.HEADLINES), rewritten with
-- the views (grain: headline).
CREATE TABLE IF NOT EXISTS headline_catalogue (
    headline   VARCHAR NOT NULL,
    label      VARCHAR NOT NULL,
    unit       VARCHAR NOT NULL,
    "window"   VARCHAR NOT NULL,
    definition VARCHAR NOT NULL
);
