"""Rule builders shared by the suite modules. Units and plausible ranges come from the registry
(chipcast.contracts.TABLES)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule, scale_hint
from chipcast.contracts import DISTS, TABLES, Metric


def not_null(columns: list[str] | tuple[str, ...], what: str = "") -> list[Rule]:
    return [Rule("ExpectColumnValuesToNotBeNull", {"column": c}, f"{c} is empty",
                 hint=f"fill in {c}{what}") for c in columns]


def columns_exist(frame: pl.DataFrame, table: str) -> list[Rule]:
    """Every required column of the table's contract is present (one table-level rule)."""
    cols = list(TABLES[table].columns)
    return [Rule("ExpectTableColumnsToMatchSet", {"column_set": cols, "exact_match": False},
                 f"{table} lacks required columns", hint="the header must have: "
                 + ",".join(cols))]


def unique(keys: list[str] | tuple[str, ...], table: str) -> Rule:
    keys = list(keys)
    if len(keys) == 1:
        return Rule("ExpectColumnValuesToBeUnique", {"column": keys[0]},
                    f"duplicate {keys[0]} (one row per {keys[0]})",
                    hint="delete or merge the duplicate rows")
    return Rule("ExpectCompoundColumnsToBeUnique", {"column_list": keys},
                f"duplicate key ({', '.join(keys)}): {table} has one row per key",
                hint="delete or merge the duplicate rows")


def in_set(column: str, values: list[Any], message: str, hint: str = "",
           when: tuple[str, Any] | None = None) -> Rule:
    shown = ", ".join(str(v) for v in values[:30])
    return Rule("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(values)},
                message, hint=hint or f"use one of: {shown}", when=when)


def between(column: str, low: float | None, high: float | None, message: str, hint: str = "",
            when: tuple[str, Any] | None = None, labels: dict[float, str] | None = None) -> Rule:
    scale = (low, high) if low is not None and high is not None else None
    return Rule("ExpectColumnValuesToBeBetween",
                {"column": column, "min_value": low, "max_value": high}, message, hint=hint,
                when=when, scale=scale, scale_labels=labels or {})


def ordered(a: str, b: str, message: str, hint: str) -> Rule:
    """a >= b on every row where both are present."""
    return Rule("ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": a, "column_B": b, "or_equal": True,
                 "ignore_row_if": "either_value_is_missing"}, message, hint=hint)


def numeric_table(table: str, frame: pl.DataFrame) -> CheckFrame:
    """The rules every long numeric table shares: keys, metric whitelist, units, ranges, dist."""
    spec = TABLES[table]
    metrics = spec.metrics
    rules = columns_exist(frame, table)
    rules += not_null([*spec.keys, "metric", "value", "unit", "dist", "source"])
    rules.append(unique([*spec.keys, "metric"], table))
    rules.append(in_set("metric", sorted(metrics), f"unknown metric for {table}"))
    rules.append(in_set("dist", list(DISTS), "unknown distribution name",
                        hint="use one of: " + ", ".join(DISTS) + " (empty = fixed)"))
    rules.append(ordered("value", "low", "value is below low",
                         "value must lie within [low, high]: fix value or low"))
    rules.append(ordered("high", "value", "value is above high",
                         "value must lie within [low, high]: fix value or high"))
    rules.append(ordered("mode", "low", "mode is below low", "mode must lie within [low, high]"))
    rules.append(ordered("high", "mode", "mode is above high", "mode must lie within [low, high]"))
    rules += _dist_rules()
    # Unit whitelist and plausible ranges come from the catalogue as per-row columns, so one
    # pair expectation covers every metric (far faster than one expectation per metric).
    catalogue = pl.DataFrame(
        [{"metric": m, "expected_unit": r.unit, "range_low": float(r.low),
          "range_high": float(r.high)} for m, r in metrics.items()],
        schema={"metric": pl.Utf8, "expected_unit": pl.Utf8, "range_low": pl.Float64,
                "range_high": pl.Float64})
    frame = frame.join(catalogue, on="metric", how="left", maintain_order="left")
    frame = _with_dist_columns(frame)
    rules.append(Rule("ExpectColumnPairValuesToBeEqual",
                      {"column_A": "unit", "column_B": "expected_unit",
                       "ignore_row_if": "either_value_is_missing"},
                      "wrong unit for this metric", label="unit",
                      hint_fn=lambda r: f"{r['metric']} is measured in {r['expected_unit']}: "
                      f"convert the number and write '{r['expected_unit']}' as its unit"))
    for col in ("value", "low", "high"):
        hint = _range_hint(col, metrics)
        rules.append(ordered(col, "range_low", f"{col} below the metric's plausible range",
                             "check the number and its unit"))
        rules.append(ordered("range_high", col, f"{col} above the metric's plausible range",
                             "check the number and its unit"))
        rules[-1].hint_fn = rules[-2].hint_fn = hint
        rules[-1].label = rules[-2].label = col
    return CheckFrame(table, spec.file, frame, rules)


def _with_dist_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Add `low_if_uncertain` (low on rows whose dist is not fixed, else null) and
    `low_if_lognormal` (low on lognormal rows, else null): the dist rules check only these rows
    (a pair rule skips nulls) without a GX row condition per dist."""
    dist = pl.col("dist").fill_null("fixed")
    return frame.with_columns(
        pl.when(dist != "fixed").then(pl.col("low")).otherwise(None).alias("low_if_uncertain"),
        pl.when(dist == "lognormal").then(pl.col("low")).otherwise(None)
        .alias("low_if_lognormal"))


def _dist_rules() -> list[Rule]:
    """What chipcast.distributions.frozen rejects beyond an unknown name and a mode outside
    [low, high] (the rules above; the reader fills mode from value and demands low and high for
    non-fixed rows): a zero-width or inverted range, and a lognormal whose low is not > 0."""
    width = Rule("ExpectColumnPairValuesAToBeGreaterThanB",
                 {"column_A": "high", "column_B": "low_if_uncertain", "or_equal": False,
                  "ignore_row_if": "either_value_is_missing"},
                 "an uncertain input needs high > low", label="high",
                 hint_fn=lambda r: f"dist '{r['dist']}' has low {r['low']:g} and high "
                 f"{r['high']:g}: widen the range so that low < high, or set dist to fixed")
    positive = Rule("ExpectColumnValuesToBeBetween",
                    {"column": "low_if_lognormal", "min_value": 0, "strict_min": True},
                    "a lognormal input needs low > 0", label="low",
                    hint_fn=lambda r: f"low {r['low']:g} is the lognormal's 5th percentile and "
                    "must be positive: raise low, or use another dist (e.g. pert)")
    return [width, positive]


def group_origin() -> list[pl.Expr]:
    """Aggregations naming where a group of rows (a year's shares) comes from: the file that
    changed it last (a scenario's `set:` items come after the table's rows) and that file's
    first row of the group, so a message never pairs one file with another file's row."""
    last = pl.col("_file").last()
    return [last.alias("_file"), pl.col("_row").filter(pl.col("_file") == last).min()]


def meta_of_first(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Per group of `by`: the first row's `_file` and `_row` (to point at the user's file)."""
    return frame.group_by(by, maintain_order=True).agg(pl.col("_file").first(),
                                                        pl.col("_row").min())


def missing_rule(message: str, hint: str) -> Rule:
    """Coverage rule on a derived frame whose `missing` column names what is absent (else null)."""
    return Rule("ExpectColumnValuesToBeNull", {"column": "missing"}, message, hint=hint)


def coverage(needed: pl.DataFrame, have: pl.DataFrame, key: str, metrics: list[str]
             ) -> pl.DataFrame:
    """For each `key` value in `needed` (with _file/_row) and metric: `missing` = "key/metric"
    when neither the key's own row nor the '*' default row of `have` gives that metric."""
    grid = needed.join(pl.DataFrame({"metric": metrics}), how="cross")
    given = have.select(key, "metric").unique()
    defaults = have.filter(pl.col(key) == "*").select("metric").unique()
    grid = grid.join(given.with_columns(pl.lit(1).alias("_own")), on=[key, "metric"], how="left")
    grid = grid.join(defaults.with_columns(pl.lit(1).alias("_dflt")), on="metric", how="left")
    return grid.with_columns(
        pl.when(pl.col("_own").is_null() & pl.col("_dflt").is_null())
        .then(pl.concat_str(pl.col(key), pl.lit("/"), pl.col("metric"))).otherwise(None)
        .alias("missing")).drop("_own", "_dflt")


def _range_hint(col: str, metrics: Mapping[str, Metric]) -> Any:
    """A hint function: the metric's range, and the factor that fixes the value if there is one."""

    def hint(row: dict[str, Any]) -> str:
        mr = metrics.get(row.get("metric") or "")
        value = row.get(col)
        if mr is None or value is None:
            return ""
        text = f"{row['metric']} must lie in {mr.low:g}-{mr.high:g} {mr.unit}"
        scaled = scale_hint(float(value), mr.low, mr.high, dict(mr.labels))
        return f"{text}; {scaled}" if scaled else f"{text}: check the number and its unit"

    return hint
