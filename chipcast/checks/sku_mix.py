"""Suite for sku_mix.csv: fractions per year and SKU; each vendor's mix of a year sums to 1
(within TOLERANCE)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, in_set, numeric_table
from chipcast.inputs import Inputs

TOLERANCE = 1e-6


def checks(inputs: Inputs) -> list[CheckFrame]:
    """sku_mix rows and sku_mix.totals (one row per year x vendor)."""
    f = inputs.sku_mix
    main = numeric_table("sku_mix", f)
    main.rules.append(in_set("sku", inputs.chips["sku"].drop_nulls().to_list(),
                             "sku not found in chips.csv",
                             hint="add the chip to chips.csv or fix the sku"))
    main.rules.append(between("year", 2000, 2100, "year outside 2000-2100",
                              hint="write a four-digit year"))
    vendor = inputs.chips.select("sku", "vendor")
    totals = (f.drop_nulls(["year", "value"]).join(vendor, on="sku", how="inner")
              .group_by("year", "vendor", maintain_order=True)
              .agg(pl.col("value").sum().alias("total_mix"), pl.col("_file").first(),
                   pl.col("_row").min()))
    rule = between("total_mix", 1 - TOLERANCE, 1 + TOLERANCE,
                   "a vendor's card mix of one year does not sum to 1",
                   hint="give every SKU the vendor ships that year a share, summing to 1")
    rule.scale = None
    return [main, CheckFrame("sku_mix.totals", "sku_mix.csv", totals, [rule])]
