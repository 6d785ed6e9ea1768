"""Suite for actuals.csv: quantities known, units match them, figures positive with ordered
ranges (card shares at most 1), filters name real chips and buyers (none for tokens), windows
ordered and inside the scenario's months."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import between, columns_exist, in_set, not_null, ordered, unique
from chipcast.contracts import ACTUAL_QUANTITIES
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """actuals rows (one per reported figure)."""
    f = inputs.actuals
    catalogue = pl.DataFrame({"quantity": list(ACTUAL_QUANTITIES),
                              "expected_unit": list(ACTUAL_QUANTITIES.values())})
    start, end = inputs.settings.start, inputs.settings.end
    frame = f.join(catalogue, on="quantity", how="left", maintain_order="left").with_columns(
        pl.col("low").fill_null(pl.col("value")).alias("low_or_value"),
        pl.col("high").fill_null(pl.col("value")).alias("high_or_value"),
        # tokens are served by firms, not chips: a chip filter has nothing to select
        pl.when(pl.col("quantity") == "tokens_per_day")
        .then(pl.coalesce("vendor", "family", "sku")).otherwise(None).alias("chip_filter"),
        # the figure is scored against the scenario's months: its window must lie inside
        pl.when((pl.col("start") < start) | (pl.col("end") > end))
        .then(pl.concat_str(pl.col("start").dt.strftime("%Y-%m"), pl.lit(".."),
                            pl.col("end").dt.strftime("%Y-%m")))
        .otherwise(None).alias("outside"))
    rules = columns_exist(f, "actuals") + not_null(
        ["id", "quantity", "start", "end", "value", "unit", "source", "published"])
    rules += [unique(["id"], "actuals"),
              in_set("quantity", list(ACTUAL_QUANTITIES), "unknown quantity",
                     hint="use one of " + ", ".join(ACTUAL_QUANTITIES)),
              ordered("end", "start", "end is before start", "a window runs start..end"),
              ordered("value", "low_or_value", "value is below low", "low <= value <= high"),
              ordered("high_or_value", "value", "value is above high", "low <= value <= high")]
    rules[-2].label, rules[-1].label = "low", "high"
    for column in ("value", "low_or_value"):  # the likelihood is log-normal: figures are > 0
        rules.append(Rule("ExpectColumnValuesToBeBetween",
                          {"column": column, "min_value": 0, "strict_min": True},
                          "an actual needs 0 < low <= value <= high",
                          hint="a reported figure is positive; leave low/high empty for value",
                          label="value" if column == "value" else "low"))
    for column in ("value", "low_or_value", "high_or_value"):  # a share is a fraction
        rule = between(column, 0, 1, "a card share above 1 (write fractions, 0.55 not 55)",
                       when=("quantity", "card_share"))
        rule.label = {"value": "value", "low_or_value": "low", "high_or_value": "high"}[column]
        rules.append(rule)
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "chip_filter"},
                      "tokens have no chip", label="sku",
                      hint="leave vendor, family and sku empty for tokens_per_day"))
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "outside"},
                      f"the window is not inside the forecast grid {start:%Y-%m}..{end:%Y-%m}",
                      label="start", hint="move the window inside the scenario's months (or "
                      "extend the scenario's settings start/end)"))
    rules.append(Rule("ExpectColumnPairValuesToBeEqual",
                      {"column_A": "unit", "column_B": "expected_unit",
                       "ignore_row_if": "either_value_is_missing"},
                      "wrong unit for this quantity", label="unit",
                      hint_fn=lambda r: f"{r['quantity']} is measured in {r['expected_unit']}"))
    for column, values in (("vendor", inputs.chips["vendor"]), ("family", inputs.chips["family"]),
                           ("sku", inputs.chips["sku"])):
        rules.append(in_set(column, [None, *sorted(set(values.drop_nulls()))],
                            f"no chip has this {column}",
                            hint=f"use a {column} of chips.csv or leave it empty for all"))
    buyers = [*inputs.firms["firm"].drop_nulls(), *inputs.segments["segment"].drop_nulls()]
    rules.append(in_set("firm", [None, *buyers], "no buyer has this id",
                        hint="use a firm of firms.csv or a segment of segments.csv, or leave "
                        "it empty for all"))
    return [CheckFrame("actuals", "actuals.csv", frame, rules)]
