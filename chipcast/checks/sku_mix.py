"""Suite for sku_mix.csv: fractions per year and SKU; each vendor's mix of a year sums to 1
(within TOLERANCE)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import between, group_origin, in_set, numeric_table
from chipcast.inputs import Inputs
from chipcast.model.structure import listed_year

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
              .agg(pl.col("value").sum().alias("total_mix"), *group_origin()))
    rule = between("total_mix", 1 - TOLERANCE, 1 + TOLERANCE,
                   "a vendor's card mix of one year does not sum to 1",
                   hint="give every SKU the vendor ships that year a share, summing to 1")
    rule.scale = None
    return [main, CheckFrame("sku_mix.totals", "sku_mix.csv", totals, [rule]),
            CheckFrame("sku_mix.shares", "vendor_share.csv", shares_without_mix(inputs),
                       [Rule("ExpectColumnValuesToBeNull", {"column": "no_mix"},
                             "a vendor has a share but no SKU mix for that year",
                             label="vendor",
                             hint_fn=lambda r: f"add sku_mix.csv rows for {r['vendor']}'s SKUs "
                             f"in {r['mix_year']} (without them its cards would go to the "
                             "other vendors), or set its share to 0")])]


def shares_without_mix(inputs: Inputs) -> pl.DataFrame:
    """vendor_share rows (year x vendor, share > 0) with `no_mix` = the vendor when sku_mix has
    no row of its SKUs in the year that governs the share's year (model.structure.listed_year,
    as the model reads it), else null; `mix_year` that year."""
    have = (inputs.sku_mix.join(inputs.chips.select("sku", "vendor"), on="sku", how="inner")
            .select(pl.col("year").cast(pl.Int64).alias("mix_year"), "vendor").unique()
            .with_columns(pl.lit(1).alias("_have")))
    shares = inputs.vendor_share.filter(pl.col("value") > 0)
    mix_year = pl.col("year").cast(pl.Int64).map_elements(
        lambda year: listed_year(inputs.sku_mix, year), return_dtype=pl.Int64)
    return (shares.with_columns(mix_year.alias("mix_year"))
            .join(have, on=["mix_year", "vendor"], how="left")
            .with_columns(pl.when(pl.col("_have").is_null()).then(pl.col("vendor"))
                          .otherwise(None).alias("no_mix"))
            .select("year", "vendor", "mix_year", "no_mix", "_file", "_row"))
