"""Suite for vendor_share.csv: fractions per vendor and year; each year's point values sum to 1
(within TOLERANCE); no missing years; every vendor sells a chip of chips.csv."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, group_origin, in_set, numeric_table
from chipcast.inputs import Inputs

TOLERANCE = 1e-6  # shares are typed by hand: allow rounding, not a missing vendor


def checks(inputs: Inputs) -> list[CheckFrame]:
    """vendor_share rows, vendor_share.totals (one row per year), vendor_share.years (per year
    from the first to the last)."""
    f = inputs.vendor_share
    main = numeric_table("vendor_share", f)
    vendors = sorted(set(inputs.chips["vendor"].drop_nulls()))
    main.rules.append(in_set("vendor", vendors, "vendor has no chip in chips.csv",
                             hint="use a vendor of chips.csv (case-sensitive): "
                             + ", ".join(vendors)))
    main.rules.append(between("year", 2000, 2100, "year outside 2000-2100",
                              hint="write a four-digit year"))
    totals = f.drop_nulls(["year", "value"]).group_by("year", maintain_order=True).agg(
        pl.col("value").sum().alias("total_share"),
        ((pl.col("value") > 1) & (pl.col("value") <= 100)).all().cast(pl.Int64)
        .alias("all_look_like_percent"),
        *group_origin())
    plain = between("total_share", 1 - TOLERANCE, 1 + TOLERANCE,
                    "the shares of one year do not sum to 1",
                    hint="shares split the whole market: every vendor of the year, summing to 1 "
                    "(a missing vendor's share would be handed to the others)",
                    when=("all_look_like_percent", 0))
    pct = between("total_share", 1 - TOLERANCE, 1 + TOLERANCE,
                  "the shares of one year do not sum to 1",
                  hint="every share of this year looks like a percentage: divide by 100",
                  when=("all_look_like_percent", 1))
    plain.scale = pct.scale = None  # the hint above is the whole story
    years = f["year"].drop_nulls()
    span = pl.DataFrame({"year": list(range(years.min(), years.max() + 1))} if len(years)
                        else {"year": []}, schema={"year": pl.Int64})
    counts = f.group_by("year").agg(pl.len().alias("rows"))
    gaps = span.join(counts, on="year", how="left").with_columns(
        pl.col("rows").fill_null(0), pl.lit("vendor_share.csv").alias("_file"),
        pl.lit(None, pl.Int64).alias("_row"))
    gap = between("rows", 1, None, "a year between the first and last year has no shares",
                  hint="add that year's rows (vendor shares) to vendor_share.csv")
    return [main, CheckFrame("vendor_share.totals", "vendor_share.csv", totals, [plain, pct]),
            CheckFrame("vendor_share.years", "vendor_share.csv", gaps, [gap])]
