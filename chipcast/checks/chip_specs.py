"""Suite for chip_specs.csv: units and ranges per metric; every chip has its dense TFLOPS
and price."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import in_set, missing_rule, numeric_table
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """chip_specs (one row per sku x metric) and chip_specs.coverage (one row per chip)."""
    f = inputs.chip_specs
    main = numeric_table("chip_specs", f)
    skus = inputs.chips["sku"].to_list()
    main.rules.append(in_set("sku", skus, "sku not found in chips.csv",
                             hint="add the chip to chips.csv or fix the sku"))
    # The model needs each chip's compute (units from A100-e) and price (capex).
    needed = ("dense_fp16_tflops", "price_usd")
    have = f.group_by("sku").agg(pl.col("metric").unique().alias("metrics"))
    cover = (
        inputs.chips.select("sku", "_file", "_row")
        .join(have, on="sku", how="left")
        .with_columns(
            pl.concat_str(
                [pl.when(pl.col("metrics").list.contains(m).fill_null(False)).then(None)
                 .otherwise(pl.lit(m)) for m in needed],
                separator=", ", ignore_nulls=True,
            ).alias("missing")
        )
        .with_columns(pl.when(pl.col("missing") == "").then(None).otherwise(pl.col("missing"))
                      .alias("missing"))
        .drop("metrics")
    )
    rule = missing_rule("chip lacks rows in chip_specs.csv for",
                        "add the missing metric rows (value, unit, source) for this sku "
                        "to chip_specs.csv")
    return [main, CheckFrame("chip_specs.coverage", "chips.csv", cover, [rule])]
