"""Suite for the `sensitivity` table (grain [run_id x] scenario x headline x input x method).

Frames: `sensitivity` (every row: columns, keys, method, headline and its unit, param-id
shape), `sensitivity.tornado` (tornado rows), `sensitivity.sobol` (Sobol rows) and
`sensitivity.given_data` (binned S1 and PAWN from the Monte Carlo's own draws). Splitting by
method keeps every rule unconditional (a GX row condition is a pandas query per rule).

Tolerances (why):
- tornado `swing` = |high - low| within SWING_RTOL relative (of max(|swing|, |high - low|)):
  the model computes it as exactly that, so only rounding may differ.
- Sobol S1/ST are Monte Carlo estimates: they scatter around their true value in [0, 1] by
  ~1/sqrt(n). At n = 64 the shipped scenarios give S1 down to -0.15 and 95 % bootstrap
  half-widths up to 0.42. An index may leave [0, 1] by SOBOL_MARGIN or by SOBOL_CONF_FACTOR x
  its own half-width (`s1_conf` / `st_conf`), whichever is larger; the same slack allows
  ST < S1. A fixed [-0.05, 1.05] would reject honest small-n output and block a publication;
  these bounds still catch NaN/inf, swapped or unnormalised indices.
- given-data S1 (binned correlation ratio) is an estimate too (same margin rule on its
  half-width); PAWN is a median Kolmogorov-Smirnov distance, in [0, 1] exactly.
"""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.outputs import with_meta
from chipcast.checks.rules import between, in_set, not_null, ordered
from chipcast.contracts import HEADLINES
from chipcast.uncertainty.sensitivity import COLUMNS, METHODS

KEY = ["scenario", "headline", "input", "method"]
TORNADO = ["low", "high", "swing", "baseline", "input_low", "input_high"]
SOBOL = ["s1", "s1_conf", "st", "st_conf"]
GIVEN = ["s1", "s1_conf", "pawn"]
SWING_RTOL = 1e-9
SOBOL_MARGIN = 0.1
SOBOL_CONF_FACTOR = 3.0
# table:keys:metric, e.g. model_classes:gpt4-class:mfu, fleet::chip_lifetime_years
PARAM_ID = r"^[a-z_]+:[^:]*:[a-z0-9_]+$"


def _tornado(df: pl.DataFrame) -> CheckFrame:
    t = df.filter(pl.col("method") == "tornado").with_columns(
        pl.when((pl.col("swing") == 0) & (pl.col("high") == pl.col("low"))).then(0.0)
        .otherwise((pl.col("swing") - (pl.col("high") - pl.col("low")).abs()).abs()
                   / pl.max_horizontal(pl.col("swing").abs(), (pl.col("high")
                                                               - pl.col("low")).abs()))
        .alias("swing_error"))
    rules = not_null(TORNADO, " (tornado rows fill low..input_high)")
    rules += [Rule("ExpectColumnValuesToBeNull", {"column": c}, f"a tornado row has {c}",
                   hint="tornado rows leave s1, s1_conf, st, st_conf, pawn empty")
              for c in [*SOBOL, "pawn"]]
    for c in ("low", "high", "baseline"):  # headlines are counts and capacities
        rules.append(between(c, 0, None, f"negative headline value in {c}",
                             hint="headlines (units, A100-eq) cannot be negative"))
    # between() without an upper bound also rejects +inf (GX compares the bound)
    rules.append(between("swing", 0, float("1e300"), "swing is negative or infinite",
                         hint="swing = |high - low|"))
    rules[-1].scale = None
    rules.append(between("swing_error", 0, SWING_RTOL, "swing differs from |high - low|"))
    rules[-1].scale, rules[-1].label = None, "swing"
    rules[-1].hint_fn = lambda r: (f"swing is {r['swing']:g} but |high - low| = "
                                   f"{abs(r['high'] - r['low']):g}: write |high - low|")
    rules.append(ordered("input_high", "input_low", "input_low (P10) is above input_high (P90)",
                         "input_low/input_high are the input's P10 and P90"))
    keep = [*KEY, *TORNADO, *SOBOL, "pawn", "swing_error", "_file", "_row"]
    return CheckFrame("sensitivity.tornado", "sensitivity", t.select(keep), rules)


def _sobol(df: pl.DataFrame) -> CheckFrame:
    # a missing half-width (n > 1024, or a degenerate bootstrap) gives the fixed margin only
    conf1 = pl.col("s1_conf").fill_nan(None).fill_null(0.0)
    conft = pl.col("st_conf").fill_nan(None).fill_null(0.0)
    slack1 = pl.max_horizontal(pl.lit(SOBOL_MARGIN), SOBOL_CONF_FACTOR * conf1)
    slackt = pl.max_horizontal(pl.lit(SOBOL_MARGIN), SOBOL_CONF_FACTOR * conft)
    s = df.filter(pl.col("method") == "sobol").with_columns(
        (-slack1).alias("s1_min"), (1 + slack1).alias("s1_max"),
        (-slackt).alias("st_min"), (1 + slackt).alias("st_max"),
        (pl.col("s1") - pl.max_horizontal(pl.lit(SOBOL_MARGIN),
                                          SOBOL_CONF_FACTOR * (conf1 + conft)))
        .alias("st_min_vs_s1"))
    # s1/st not null also rejects NaN (pandas counts NaN as missing)
    rules = not_null(["s1", "st"], " (Sobol rows fill s1 and st)")
    rules += [Rule("ExpectColumnValuesToBeNull", {"column": c}, f"a Sobol row has {c}",
                   hint="Sobol rows leave low..input_high and pawn empty")
              for c in [*TORNADO, "pawn"]]
    hint = (f"Sobol indices lie in [0, 1] up to sampling noise (max({SOBOL_MARGIN:g}, "
            f"{SOBOL_CONF_FACTOR:g} x the half-width)): check the estimator and its normalisation")
    for c in ("s1", "st"):
        rules.append(ordered(c, f"{c}_min", f"{c} is below 0 beyond sampling noise", hint))
        rules.append(ordered(f"{c}_max", c, f"{c} is above 1 beyond sampling noise", hint))
        rules[-1].label = rules[-2].label = c
    rules.append(ordered("st", "st_min_vs_s1", "st (total) is below s1 (first-order) beyond "
                         "sampling noise", "ST >= S1 always: are the columns swapped?"))
    rules[-1].label = "st"
    rules[-1].hint_fn = lambda r: (f"st {r['st']:g} < s1 {r['s1']:g}: ST >= S1 always (up to "
                                   "sampling noise): are the columns swapped?")
    for c in ("s1_conf", "st_conf"):
        rules.append(between(c, 0, 1e300, f"{c} is negative or infinite",
                             hint="a confidence half-width is >= 0 (empty when not computed)"))
        rules[-1].scale = None
    keep = [*KEY, *TORNADO, *SOBOL, "pawn", "s1_min", "s1_max", "st_min", "st_max",
            "st_min_vs_s1", "_file", "_row"]
    return CheckFrame("sensitivity.sobol", "sensitivity", s.select(keep), rules)


def _given_data(df: pl.DataFrame) -> CheckFrame:
    conf = pl.col("s1_conf").fill_nan(None).fill_null(0.0)
    slack = pl.max_horizontal(pl.lit(SOBOL_MARGIN), SOBOL_CONF_FACTOR * conf)
    g = df.filter(pl.col("method") == "given_data").with_columns(
        (-slack).alias("s1_min"), (1 + slack).alias("s1_max"),
        # GX counts NaN as missing, and pawn may be missing: flag NaN itself
        pl.when(pl.col("pawn").is_nan()).then(pl.lit("NaN")).otherwise(None).alias("pawn_nan"))
    rules = not_null(["s1"], " (given-data rows fill s1)")
    rules += [Rule("ExpectColumnValuesToBeNull", {"column": c}, f"a given-data row has {c}",
                   hint="given-data rows fill s1, s1_conf and pawn only")
              for c in [*TORNADO, "st", "st_conf"]]
    hint = (f"the given-data S1 lies in [0, 1] up to sampling noise (max({SOBOL_MARGIN:g}, "
            f"{SOBOL_CONF_FACTOR:g} x the half-width))")
    rules.append(ordered("s1", "s1_min", "s1 is below 0 beyond sampling noise", hint))
    rules.append(ordered("s1_max", "s1", "s1 is above 1 beyond sampling noise", hint))
    rules[-1].label = rules[-2].label = "s1"
    # pawn is null for inputs outside the top GIVEN_DATA_TOP by S1
    rules.append(between("pawn", 0, 1, "pawn is outside [0, 1]",
                         hint="PAWN is a median Kolmogorov-Smirnov distance, in [0, 1]"))
    rules[-1].scale = None
    rules.append(between("s1_conf", 0, 1e300, "s1_conf is negative or infinite",
                         hint="a confidence half-width is >= 0"))
    rules[-1].scale = None
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "pawn_nan"}, "pawn is NaN",
                      label="pawn", hint="PAWN is a distance in [0, 1]; leave it empty where "
                      "it was not computed"))
    keep = [*KEY, *TORNADO, *SOBOL, "pawn", "pawn_nan", "s1_min", "s1_max", "_file", "_row"]
    return CheckFrame("sensitivity.given_data", "sensitivity", g.select(keep), rules)


def checks(df: pl.DataFrame) -> list[CheckFrame]:
    """sensitivity rows (all methods), then one frame per method."""
    units = {name: h.unit for name, h in HEADLINES.items()}
    key = ["run_id", *KEY] if "run_id" in df.columns else KEY
    catalogue = pl.DataFrame({"headline": list(units), "expected_unit": list(units.values())},
                             schema={"headline": pl.Utf8, "expected_unit": pl.Utf8})
    df = with_meta(df, "sensitivity").join(catalogue, on="headline", how="left",
                                           maintain_order="left")
    rules = [Rule("ExpectTableColumnsToMatchSet", {"column_set": COLUMNS, "exact_match": False},
                  "sensitivity lacks contract columns",
                  hint="chipcast.sensitivity writes: " + ", ".join(COLUMNS))]
    rules += not_null([*key, "unit"])
    rules.append(in_set("method", list(METHODS), "unknown sensitivity method"))
    rules.append(in_set("headline", sorted(units), "unknown headline"))
    rules.append(Rule("ExpectColumnPairValuesToBeEqual",
                      {"column_A": "unit", "column_B": "expected_unit",
                       "ignore_row_if": "either_value_is_missing"},
                      "wrong unit for this headline", label="unit",
                      hint_fn=lambda r: f"{r['headline']} is measured in {r['expected_unit']}"))
    rules.append(Rule("ExpectColumnValuesToMatchRegex", {"column": "input", "regex": PARAM_ID},
                      "input is not a param id",
                      hint="write table:keys:metric, e.g. model_classes:gpt4-class:mfu"))
    rules.append(Rule("ExpectCompoundColumnsToBeUnique", {"column_list": key},
                      "more than one row per (scenario, headline, input, method)",
                      hint="the sensitivity analysis wrote a row twice"))
    return [CheckFrame("sensitivity", "sensitivity", df, rules), _tornado(df), _sobol(df),
            _given_data(df)]
