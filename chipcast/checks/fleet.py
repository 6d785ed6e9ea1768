"""Suite for fleet.csv: one row per metric, all metrics present, units and ranges."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import missing_rule, numeric_table
from chipcast.contracts import required_metrics
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """fleet rows and fleet.coverage (one row per required metric)."""
    f = inputs.fleet
    main = numeric_table("fleet", f)
    have = set(f["metric"].drop_nulls().to_list())
    needed = required_metrics("fleet", inputs.settings.inference_mode)
    grid = pl.DataFrame({"metric": needed}).with_columns(
        pl.when(pl.col("metric").is_in(sorted(have))).then(None).otherwise(pl.col("metric"))
        .alias("missing"), pl.lit("fleet.csv").alias("_file"), pl.lit(None, pl.Int64)
        .alias("_row"))
    rule = missing_rule("fleet.csv lacks a required metric", "add a row for that metric")
    return [main, CheckFrame("fleet.coverage", "fleet.csv", grid, [rule])]
