"""Suite for the deterministic long forecast (grain month x scenario x firm x workload x sku x
metric)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.outputs import (
    UNITS,
    month_gaps,
    row_rules,
    totals,
    with_expected_unit,
    with_meta,
)
from chipcast.checks.rules import in_set

COLUMNS = ["month", "scenario", "firm", "workload", "sku", "metric", "value", "unit"]
KEY = ["month", "scenario", "firm", "workload", "sku", "metric"]


def checks(df: pl.DataFrame) -> list[CheckFrame]:
    """forecast rows, forecast.months (per series) and forecast.totals (per total row)."""
    df = with_expected_unit(with_meta(df, "forecast"), UNITS)
    df = df.with_columns(pl.col("month").dt.day().alias("month_day"),
                         ((pl.col("sku") == "all") == (pl.col("metric")
                                                       == "a100_equivalents_required"))
                         .cast(pl.Int64).alias("sku_all_ok"))
    rules = row_rules("forecast", COLUMNS, COLUMNS, KEY)
    rules.append(in_set("sku_all_ok", [1], "sku 'all' must go with a100_equivalents_required "
                        "(and only there)", hint="the compute need has sku 'all'; fleets are "
                        "by sku"))
    series = ["scenario", "firm", "workload", "sku", "metric"]
    return [CheckFrame("forecast", "forecast", df, rules),
            month_gaps(df, series, "forecast"),
            totals(df, KEY, "forecast")]
