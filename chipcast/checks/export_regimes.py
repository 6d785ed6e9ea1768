"""Suite for export_regimes.csv: skus exist, mix shares 0-1, date ranges ordered per regime."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, columns_exist, in_set, not_null, ordered, unique
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """export_regimes rows (one per regime x sku) and export_regimes.dates (one per regime)."""
    f = inputs.export_regimes
    rules = columns_exist(f, "export_regimes")
    rules += not_null(["regime", "start_date", "sku", "mix_share", "source"])
    rules.append(unique(["regime", "sku"], "export_regimes"))
    rules.append(in_set("sku", inputs.chips["sku"].drop_nulls().to_list(),
                        "sku not found in chips.csv", hint="add the chip to chips.csv or fix "
                        "the sku (aliases are not accepted here)"))
    rules.append(between("mix_share", 0, 1, "mix_share outside 0-1",
                         hint="a share of the vendor's units, as a fraction",
                         labels={100.0: "a percentage?"}))
    rules.append(ordered("end_date", "start_date", "end_date is before start_date",
                         "a regime runs from start_date to end_date (exclusive)"))
    dates = f.group_by("regime", maintain_order=True).agg(
        (pl.col("start_date").n_unique() + pl.col("end_date").n_unique()).alias("date_variants"),
        pl.col("_file").first(), pl.col("_row").min())
    same = between("date_variants", 2, 2, "rows of one regime have different start or end dates",
                   hint="give every row of a regime the same start_date and end_date")
    same.scale = None
    return [CheckFrame("export_regimes", "export_regimes.csv", f, rules),
            CheckFrame("export_regimes.dates", "export_regimes.csv", dates, [same])]
