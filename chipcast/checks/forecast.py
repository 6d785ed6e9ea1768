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
    """forecast rows, forecast.months (per series), forecast.totals (per total row) and
    forecast.vendors (per SKU: one vendor)."""
    rules = row_rules("forecast", COLUMNS, COLUMNS, KEY, workloads=[*WORKLOADS, ALL])
    if not set(COLUMNS) <= set(df.columns):  # the other frames need them: report that alone
        return [CheckFrame("forecast", "forecast", with_meta(df, "forecast"), rules[:1])]
    df = with_expected_unit(with_meta(df, "forecast"), UNITS)
    without_chips = pl.col("metric").is_in(ALL_SKU_METRICS)
    df = df.with_columns(pl.col("month").dt.day().alias("month_day"),
                         (~without_chips | (pl.col("sku") == ALL)).cast(pl.Int64)
                         .alias("sku_all_ok"),
                         (~without_chips | (pl.col("vendor") == ALL)).cast(pl.Int64)
                         .alias("vendor_all_ok"))
    hint = ("need, idle compute and tokens are not split by chip: sku and vendor 'all' ("
            + ", ".join(ALL_SKU_METRICS) + ")")
    rules.append(in_set("sku_all_ok", [1], "a metric without SKUs has a SKU", hint=hint))
    rules.append(in_set("vendor_all_ok", [1], "a metric without chips has a vendor", hint=hint))
    rules[-1].label = "vendor"
    series = ["scenario", "firm", "workload", "sku", "vendor", "metric"]
    return [CheckFrame("forecast", "forecast", df, rules),
            month_gaps(df, series, "forecast"),
            totals(df, KEY, "forecast"),
            _one_vendor_per_sku(df)]


def _one_vendor_per_sku(df: pl.DataFrame) -> CheckFrame:
    """A SKU's rows all name one vendor (its chip's): the per-SKU and per-vendor partitions
    would otherwise disagree."""
    per_sku = (df.filter(pl.col("sku") != ALL)
               .group_by("scenario", "sku", maintain_order=True)
               .agg(pl.col("vendor").n_unique().alias("vendors"),
                    pl.col("vendor").unique().sort().str.join(", ").alias("vendor_names"),
                    pl.col("_file").first(), pl.col("_row").min()))
    rule = in_set("vendors", [1], "a SKU's rows name more than one vendor",
                  hint="every row of a SKU carries its chip's vendor (chips.csv)")
    rule.label = "vendor"
    rule.hint_fn = lambda r: (f"{r['sku']} appears under {r['vendor_names']}: every row of a "
                              "SKU carries its chip's vendor (chips.csv)")
    return CheckFrame("forecast.vendors", "forecast", per_sku, [rule])
