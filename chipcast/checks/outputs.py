"""Rules shared by the output suites (forecast, forecast_quantiles)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import between, in_set, not_null
from chipcast.contracts import ALL, HEADLINES, OUTPUT_METRICS, WORKLOADS

# The contract's units (chipcast.contracts): the model writes what it computes, these suites
# check every row against the registry, so a metric written in another unit fails here.
UNITS = {name: m.unit for name, m in OUTPUT_METRICS.items()}
UNITS_WITH_HEADLINES = {**UNITS, **{name: h.unit for name, h in HEADLINES.items()}}
TOLERANCE = 1e-6  # relative, for totals vs the sum of their parts
MAX_VALUE = 1e300  # any finite output passes; +-inf does not (as in the sensitivity suite)


def with_meta(df: pl.DataFrame, name: str) -> pl.DataFrame:
    """Add `_file` (the table name) and `_row` (1-based row in `df`)."""
    return df.with_columns(pl.lit(name).alias("_file"),
                           pl.int_range(1, df.height + 1, dtype=pl.Int64).alias("_row"))


def with_expected_unit(df: pl.DataFrame, units: dict[str, str]) -> pl.DataFrame:
    """Add `expected_unit` (the metric's unit from `units`; null for an unknown metric)."""
    catalogue = pl.DataFrame({"metric": list(units), "expected_unit": list(units.values())},
                             schema={"metric": pl.Utf8, "expected_unit": pl.Utf8})
    return df.join(catalogue, on="metric", how="left", maintain_order="left")


def row_rules(table: str, columns: list[str], required: list[str], key: list[str],
              units: dict[str, str] | None = None, workloads: list[str] | None = None
              ) -> list[Rule]:
    """Columns present, no nulls, known workload/metric, whitelisted unit, no negatives,
    first-of-month months, one row per key. The frame needs `month_day` and `expected_unit`
    (`with_expected_unit`).

    Speed: one table-level column-set rule (not one per column) and one unit == expected_unit
    pair rule over every row (not one row-conditioned rule per metric: each row condition is a
    pandas query over the whole frame)."""
    rules = [Rule("ExpectTableColumnsToMatchSet", {"column_set": list(columns),
                                                   "exact_match": False},
                  f"{table} lacks contract columns",
                  hint="the model must write every contract column: " + ", ".join(columns))]
    rules += not_null(required)
    for rule in rules:  # a model writes NaN, not an empty cell: say so
        if rule.expectation == "ExpectColumnValuesToNotBeNull" and rule.column == "value":
            rule.message = "value is empty or NaN"
            rule.hint = "the model wrote no number (NaN comes from 0/0 or inf - inf upstream)"
    units = units or UNITS
    rules.append(in_set("workload", workloads or list(WORKLOADS), "unknown workload"))
    rules.append(in_set("metric", sorted(units), "unknown metric"))
    # Rows of an unknown metric (no expected unit) are left to the metric rule above.
    rules.append(Rule("ExpectColumnPairValuesToBeEqual",
                      {"column_A": "unit", "column_B": "expected_unit",
                       "ignore_row_if": "either_value_is_missing"},
                      "wrong unit for this metric", label="unit",
                      hint_fn=lambda r: f"{r['metric']} is measured in {r['expected_unit']}"))
    # A finite upper bound: GX skips NaN (pandas counts it missing) and `max_value=None`
    # accepts +inf, so an overflowing model would otherwise pass. NaN is caught by not-null.
    value = between("value", 0, MAX_VALUE, "negative or infinite value",
                    hint="demand, fleets and capex are finite and cannot be negative")
    value.scale = None
    rules.append(value)
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


def totals(df: pl.DataFrame, key: list[str], name: str) -> CheckFrame:
    """One row per total row that has parts: a row whose firm, workload, sku or vendor is 'all'
    against the sum of the rows with the same other keys and a real value in that dimension
    (per buyer and per SKU, two partitions of the market, each checked against the total).

    `rel_diff` = |total - sum of parts| / max(|total|, 1). Totals without parts (headlines, or a
    total over SKUs of a metric that has no per-SKU rows) are not checked.
    """
    frames = []
    lazy = df.lazy()
    for dim in ("firm", "workload", "sku", "vendor"):
        if dim not in key:
            continue
        others = [k for k in key if k != dim]
        tot = lazy.filter(pl.col(dim) == ALL)
        # Only the parts of existing totals are summed (the deterministic forecast has almost
        # no totals: grouping all ~100k rows per dimension was most of this frame's cost).
        parts = (lazy.filter(pl.col(dim) != ALL)
                 .join(tot.select(others).unique(), on=others, how="semi")
                 .group_by(others).agg(pl.col("value").sum().alias("parts")))
        # the totals' own order: a join's row order is otherwise not fixed, and the first
        # failing rows are the ones a user is shown
        j = tot.join(parts, on=others, how="inner", maintain_order="left").with_columns(
            ((pl.col("value") - pl.col("parts")).abs()
             / pl.max_horizontal(pl.col("value").abs(), pl.lit(1.0))).alias("rel_diff"),
            pl.lit(dim).alias("dimension"))
        frames.append(j.select("dimension", "rel_diff", "value", "parts", "_file", "_row"))
    frame = pl.concat(frames).collect() if frames else pl.DataFrame(
        schema={"dimension": pl.Utf8, "rel_diff": pl.Float64, "value": pl.Float64,
                "parts": pl.Float64, "_file": pl.Utf8, "_row": pl.Int64})
    rule = between("rel_diff", 0, TOLERANCE, "a total ('all') differs from the sum of its parts",
                   hint="totals must equal the sum over firms, workloads or SKUs")
    rule.scale = None
    return CheckFrame(f"{name}.totals", name, frame, [rule])
