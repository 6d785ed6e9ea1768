"""Suite for the deterministic forecast (grain month x scenario x firm x workload x sku x
vendor x metric): the published series of chipcast.model.series at the point draw."""

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
from chipcast.contracts import ALL, OUTPUT_METRICS, WORKLOADS

COLUMNS = ["month", "scenario", "firm", "workload", "sku", "vendor", "metric", "value", "unit"]
KEY = ["month", "scenario", "firm", "workload", "sku", "vendor", "metric"]
ALL_SKU_METRICS = [m for m, spec in OUTPUT_METRICS.items() if not spec.per_sku]


def checks(df: pl.DataFrame) -> list[CheckFrame]:
    """forecast rows, forecast.months (per series) and forecast.totals (per total row)."""
    df = with_expected_unit(with_meta(df, "forecast"), UNITS)
    df = df.with_columns(pl.col("month").dt.day().alias("month_day"),
                         (~pl.col("metric").is_in(ALL_SKU_METRICS) | (pl.col("sku") == ALL))
                         .cast(pl.Int64).alias("sku_all_ok"))
    rules = row_rules("forecast", COLUMNS, COLUMNS, KEY, workloads=[*WORKLOADS, ALL])
    rules.append(in_set("sku_all_ok", [1], "a metric without SKUs has a SKU",
                        hint="need, idle compute and tokens are not split by SKU: sku 'all' "
                        "(" + ", ".join(ALL_SKU_METRICS) + ")"))
    series = ["scenario", "firm", "workload", "sku", "vendor", "metric"]
    return [CheckFrame("forecast", "forecast", df, rules),
            month_gaps(df, series, "forecast"),
            totals(df, KEY, "forecast")]
