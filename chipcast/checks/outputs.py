"""Rules shared by the output suites (forecast, forecast_quantiles)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import between, in_set, not_null

UNITS = {
    "a100_equivalents_required": "A100-eq",
    "a100_equivalents": "A100-eq",
    "units_installed": "units",
    "units_shipped": "units/month",
    "capex_usd": "USD/month",
}
WORKLOADS = ["training", "inference"]
TOTAL_FIRM = "all"  # a row with this firm is a total over the other firms (if any are written)
TOLERANCE = 1e-6  # relative, for totals vs the sum of their parts


def with_meta(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """Add `_file` (the table name) and `_row` (1-based row in `df`)."""
    return df.with_columns(pl.lit(name).alias("_file"),
                           pl.int_range(1, df.height + 1, dtype=pl.Int64).alias("_row"))


def row_rules(table: str, columns: list[str], required: list[str], key: list[str]) -> list[Rule]:
    """Columns present, no nulls, known workload/metric, whitelisted unit, no negatives,
    first-of-month months, one row per key."""
    rules = [Rule("ExpectColumnToExist", {"column": c}, f"{table} lacks column {c}",
                  hint="the model must write every contract column") for c in columns]
    rules += not_null(required)
    rules.append(in_set("workload", WORKLOADS, "unknown workload"))
    rules.append(in_set("metric", sorted(UNITS), "unknown metric"))
    for metric, unit in UNITS.items():
        rules.append(in_set("unit", [unit], f"wrong unit for {metric}", when=("metric", metric)))
    neg = between("value", 0, None, "negative value", hint="demand and fleets cannot be negative")
    rules.append(neg)
    rules.append(in_set("month_day", [1], "month is not the first day of a month"))
    rules.append(Rule("ExpectCompoundColumnsToBeUnique", {"column_list": key},
                      f"more than one row per key in {table}", hint="the model wrote a row twice"))
    return rules


def month_gaps(df: pl.DataFrame, series: list[str], name: str) -> CheckFrame:
    """One row per series: `gaps` = months missing between its first and last month."""
    idx = pl.col("month").dt.year() * 12 + pl.col("month").dt.month()
    g = (df.drop_nulls("month").group_by(series, maintain_order=True)
         .agg((idx.max() - idx.min() + 1 - idx.n_unique()).cast(pl.Int64).alias("gaps"),
              pl.col("_file").first(), pl.col("_row").min()))
    rule = between("gaps", 0, 0, "a series has missing months",
                   hint="every series must have a row for every month of its span")
    return CheckFrame(f"{name}.months", name, g, [rule])


def totals(df: pl.DataFrame, group: list[str], name: str) -> CheckFrame:
    """One row per total row (firm == 'all'): its value relative to the sum of the firms'."""
    tot = df.filter(pl.col("firm") == TOTAL_FIRM)
    parts = (df.filter(pl.col("firm") != TOTAL_FIRM).group_by(group)
             .agg(pl.col("value").sum().alias("parts")))
    j = tot.join(parts, on=group, how="left").with_columns(
        ((pl.col("value") - pl.col("parts").fill_null(0)).abs()
         / pl.max_horizontal(pl.col("value").abs(), pl.lit(1.0))).alias("rel_diff"))
    rule = between("rel_diff", 0, TOLERANCE, "a total differs from the sum of its parts",
                   hint="totals must equal the sum over firms")
    rule.scale = None
    return CheckFrame(f"{name}.totals", name, j.select("rel_diff", "_file", "_row"), [rule])
