"""Suite for model_classes.csv: units and ranges; every class in use has every metric."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import (
    coverage,
    meta_of_first,
    missing_rule,
    numeric_table,
)
from chipcast.contracts import required_metrics
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """model_classes rows and model_classes.coverage (one row per class in use x metric)."""
    f = inputs.model_classes
    main = numeric_table("model_classes", f)
    used = meta_of_first(inputs.model_releases.drop_nulls("model_class"), ["model_class"])
    mode = inputs.settings.inference_mode
    grid = coverage(used, f, "model_class", required_metrics("model_classes", mode))
    rule = missing_rule("a model class used in model_releases has no value for a metric "
                        "(neither its own row nor a '*' default)",
                        "add a row for that model_class/metric (or a '*' default) to "
                        "model_classes.csv")
    return [main, CheckFrame("model_classes.coverage", "model_releases.csv",
                             grid.with_columns(pl.col("_row").cast(pl.Int64)), [rule])]
