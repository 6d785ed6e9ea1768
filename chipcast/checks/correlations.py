"""Suite for correlations.csv: rho in [-1, 1]; each (table, metric) names uncertain inputs."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, columns_exist, in_set, not_null, unique
from chipcast.contracts import NUMERIC_TABLES
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """correlations: one row per (group, table, metric)."""
    f = inputs.correlations
    rules = columns_exist(f, "correlations") + not_null(["group", "table", "metric", "rho",
                                                        "source"])
    rules.append(unique(["group", "table", "metric"], "correlations"))
    rules.append(unique(["table", "metric"], "correlations"))
    rules[-1].message = "a (table, metric) belongs to two correlation groups"
    rules.append(in_set("table", sorted(NUMERIC_TABLES), "table is not a numeric input table"))
    rules.append(between("rho", -1, 1, "rho outside [-1, 1]", hint="a rank correlation"))
    rules[-1].scale = None
    f = f.with_columns(pl.concat_str("table", pl.lit(":"), "metric").alias("table_metric"))
    known = [f"{t}:{m}" for t, spec in NUMERIC_TABLES.items() for m in spec.metrics]
    rules.append(in_set("table_metric", known, "unknown metric for that table",
                        hint="use a metric of the named table"))
    return [CheckFrame("correlations", "correlations.csv", f, rules)]
