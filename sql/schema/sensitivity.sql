-- sensitivity: input importance for a headline output
-- (grain: run_id x scenario x headline x input x method).
-- method 'tornado' fills low/high/swing (headline at the input's P10/P90, |high - low|),
-- baseline (headline with every input at its median) and input_low/input_high (the input's
-- P10/P90);
-- method 'sobol' fills s1/st (first-order and total indices) and their confidence half-widths;
-- method 'given_data' fills s1/s1_conf (binned correlation ratio on the Monte Carlo's own draws) and pawn.
CREATE TABLE IF NOT EXISTS sensitivity (
    run_id      VARCHAR NOT NULL,
    scenario    VARCHAR NOT NULL,
    headline    VARCHAR NOT NULL,   -- e.g. a100_a800_units_shipped_2023_2025
    input       VARCHAR NOT NULL,   -- param id, e.g. model_classes:gpt4-class:mfu
    method      VARCHAR NOT NULL,   -- tornado | sobol
    low         DOUBLE,
    high        DOUBLE,
    swing       DOUBLE,
    s1          DOUBLE,
    s1_conf     DOUBLE,
    st          DOUBLE,
    st_conf     DOUBLE,
    unit        VARCHAR,            -- the headline's unit
    baseline    DOUBLE,
    input_low   DOUBLE,
    input_high  DOUBLE,
    pawn        DOUBLE              -- PAWN index (method given_data, top inputs by S1)
);
