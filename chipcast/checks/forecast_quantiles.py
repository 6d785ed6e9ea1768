"""Suite for Monte Carlo summaries (grain run_id x scenario x month x firm x workload x sku x
metric x stat x quantile)."""

from __future__ import annotations

from typing import Any

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule, as_categorical
from chipcast.checks.outputs import (
    UNITS_WITH_HEADLINES,
    month_gaps,
    row_rules,
    totals,
    with_expected_unit,
    with_meta,
)
from chipcast.checks.rules import in_set, ordered
from chipcast.contracts import ALL, QUANTILE_NAMES, STATS, WORKLOADS

COLUMNS = ["run_id", "scenario", "month", "firm", "workload", "sku", "vendor", "metric",
           "stat", "quantile", "value", "unit", "calibration"]
SERIES = ["run_id", "scenario", "calibration", "firm", "workload", "sku", "vendor", "metric"]
CALIBRATIONS = ["prior", "posterior"]
QUANTILES = QUANTILE_NAMES  # level -> column name (p05 ...)


def _stat_quantile_hint(row: dict[str, Any]) -> str:
    """Why a row's stat/quantile pair is wrong, and what to write."""
    levels = ", ".join(f"{q:g}" for q in QUANTILES)
    stat, quantile = row.get("stat"), row.get("quantile")
    if stat == "mean":
        return "a mean row has a quantile: leave quantile empty for stat 'mean'"
    if stat != "quantile":
        return "unknown stat: use 'mean' (empty quantile) or 'quantile'"
    if quantile is None:
        return f"a quantile row has no quantile: write one of {levels}"
    return f"unexpected quantile level {quantile:g}: use one of {levels}"


def checks(df: pl.DataFrame) -> list[CheckFrame]:
    """Rows, .order (one row per key: p05..p95 side by side), .months and .totals (means)."""
    units = UNITS_WITH_HEADLINES
    # `stat_quantile` = "stat:quantile" (quantile as polars prints it, empty when null), so one
    # set rule checks stat and quantile together on every row: a mean has no quantile, a
    # quantile row has a known level (three row-conditioned rules cost three frame queries).
    df = with_expected_unit(with_meta(df, "forecast_quantiles"), units).with_columns(
        pl.col("month").dt.day().alias("month_day"),
        pl.col("quantile").fill_null(-1.0).alias("quantile_key"),
        pl.concat_str(pl.col("stat").fill_null(""), pl.lit(":"),
                      pl.col("quantile").cast(pl.Utf8).fill_null("")).alias("stat_quantile"))
    required = [c for c in COLUMNS if c != "quantile"]
    # Monte Carlo summaries include totals labelled 'all' (firm, workload, sku) and headlines.
    rules = row_rules("forecast_quantiles", COLUMNS, required,
                      [*SERIES, "month", "stat", "quantile_key"], units=units,
                      workloads=[*WORKLOADS, ALL])
    rules.append(in_set("stat", list(STATS), "unknown stat"))
    rules.append(in_set("calibration", CALIBRATIONS, "unknown calibration",
                        hint="prior (plain draws) or posterior (weighted by actuals.csv)"))
    levels = pl.Series(list(QUANTILES), dtype=pl.Float64).cast(pl.Utf8).to_list()
    rules.append(Rule("ExpectColumnValuesToBeInSet",
                      {"column": "stat_quantile",
                       "value_set": ["mean:", *(f"quantile:{q}" for q in levels)]},
                      "stat and quantile do not match", label="stat:quantile",
                      hint_fn=_stat_quantile_hint))
    # Cast once here: the order, months and totals frames below group ~500k rows by text keys.
    df = as_categorical(df, rules)
    key = [*SERIES, "month"]
    q = df.filter(pl.col("stat") == "quantile").with_columns(
        pl.col("quantile").round(6).replace_strict(
            {round(k, 6): v for k, v in QUANTILES.items()}, default=None).alias("q"))
    names = list(QUANTILES.values())
    # One group-by per key, each level's first value picked inside it (a group-by per key and
    # level and then a pivot cost ~30 % more): a level the key lacks is null, `_row` is the
    # key's first row of any known level.
    wide = (q.lazy().drop_nulls("q").group_by(key, maintain_order=True)
            .agg(*(pl.col("value").filter(pl.col("q") == n).first().alias(n) for n in names),
                 pl.lit("forecast_quantiles").alias("_file"), pl.col("_row").min())
            .collect())
    order = [ordered(b, a, f"quantiles out of order: {b} < {a}",
                     "quantiles must satisfy p05 <= p10 <= p50 <= p90 <= p95")
             for a, b in zip(names, names[1:], strict=False)]
    means = df.filter(pl.col("stat") == "mean")
    return [CheckFrame("forecast_quantiles", "forecast_quantiles", df, rules),
            CheckFrame("forecast_quantiles.order", "forecast_quantiles",
                       wide.select(*key, *names, "_file", "_row"), order),
            month_gaps(df, [*SERIES, "stat", "quantile_key"], "forecast_quantiles"),
            totals(means, ["run_id", "month", "scenario", "calibration", "firm", "workload",
                           "sku", "vendor", "metric"], "forecast_quantiles")]
