"""Suite for chip_specs.csv: units and ranges per metric; every chip has its dense TFLOPS."""

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
    have = f.filter(pl.col("metric") == "dense_fp16_tflops").select("sku").unique()
    cover = inputs.chips.select("sku", "_file", "_row").with_columns(
        pl.when(pl.col("sku").is_in(have["sku"].implode())).then(None)
        .otherwise(pl.col("sku")).alias("missing"))
    rule = missing_rule("chip has no dense_fp16_tflops row in chip_specs.csv",
                        "add a dense_fp16_tflops row for this sku to chip_specs.csv")
    return [main, CheckFrame("chip_specs.coverage", "chips.csv", cover, [rule])]
