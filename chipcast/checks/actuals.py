"""Suite for actuals.csv: quantities known, units match them, ranges ordered, filters name real
chips and buyers, windows ordered."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import columns_exist, in_set, not_null, ordered, unique
from chipcast.contracts import ACTUAL_QUANTITIES
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """actuals rows (one per reported figure)."""
    f = inputs.actuals
    catalogue = pl.DataFrame({"quantity": list(ACTUAL_QUANTITIES),
                              "expected_unit": list(ACTUAL_QUANTITIES.values())})
    frame = f.join(catalogue, on="quantity", how="left", maintain_order="left").with_columns(
        pl.col("low").fill_null(pl.col("value")).alias("low_or_value"),
        pl.col("high").fill_null(pl.col("value")).alias("high_or_value"))
    rules = columns_exist(f, "actuals") + not_null(
        ["id", "quantity", "start", "end", "value", "unit", "source", "published"])
    rules += [unique(["id"], "actuals"),
              in_set("quantity", list(ACTUAL_QUANTITIES), "unknown quantity",
                     hint="use one of " + ", ".join(ACTUAL_QUANTITIES)),
              ordered("end", "start", "end is before start", "a window runs start..end"),
              ordered("value", "low_or_value", "value is below low", "low <= value <= high"),
              ordered("high_or_value", "value", "value is above high", "low <= value <= high")]
    rules[-2].label, rules[-1].label = "low", "high"
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
