"""Suite for export_regimes.csv: skus exist and are export-controlled, dates ordered per
regime, regimes never overlap."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, columns_exist, in_set, not_null, ordered, unique
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """export_regimes rows (one per regime x sku), export_regimes.dates (one per regime) and
    export_regimes.overlap (one per regime, against the next one by start date)."""
    f = inputs.export_regimes
    rules = columns_exist(f, "export_regimes")
    rules += not_null(["regime", "start_date", "sku", "source"])
    rules.append(unique(["regime", "sku"], "export_regimes"))
    controlled = inputs.chips.filter(pl.col("export_control") == "us")["sku"].to_list()
    rules.append(in_set("sku", controlled, "sku is not an export-controlled chip of chips.csv",
                        hint="list chips whose export_control is us (domestic chips are "
                        "always legal; aliases are not accepted here)"))
    rules.append(ordered("end_date", "start_date", "end_date is before start_date",
                         "a regime runs from start_date to end_date (exclusive)"))
    dates = f.group_by("regime", maintain_order=True).agg(
        (pl.col("start_date").n_unique() + pl.col("end_date").n_unique()).alias("date_variants"),
        pl.col("start_date").first(), pl.col("end_date").first(),
        pl.col("_file").first(), pl.col("_row").min())
    same = between("date_variants", 2, 2, "rows of one regime have different start or end dates",
                   hint="give every row of a regime the same start_date and end_date")
    same.scale = None
    # One regime at a time: each ends on or before the next one starts; only the last is open.
    spans = dates.drop_nulls("start_date").sort("start_date").with_columns(
        pl.col("start_date").shift(-1).alias("next_start"),
        pl.col("regime").shift(-1).alias("next_regime"))
    spans = spans.with_columns(
        pl.when(pl.col("next_start").is_not_null() & pl.col("end_date").is_null())
        .then(pl.col("next_regime")).otherwise(None).alias("open_before"))
    overlap = [ordered("next_start", "end_date", "a regime overlaps the next one",
                       "end a regime on or before the next regime's start_date"),
               in_set("open_before", [None], "an open-ended regime is followed by another",
                      hint="give the earlier regime an end_date: only the last may be open")]
    overlap[0].label = "end_date"
    return [CheckFrame("export_regimes", "export_regimes.csv", f, rules),
            CheckFrame("export_regimes.dates", "export_regimes.csv", dates, [same]),
            CheckFrame("export_regimes.overlap", "export_regimes.csv", spans, overlap)]
