"""Suite for usage.csv: units and ranges; firms exist; every firm has every metric."""

from __future__ import annotations

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import coverage, in_set, missing_rule, numeric_table
from chipcast.contracts import required_metrics
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """usage rows and usage.coverage (one row per firm x metric)."""
    f = inputs.usage
    main = numeric_table("usage", f)
    firms = inputs.firms["firm"].drop_nulls().to_list()
    main.rules.append(in_set("firm", ["*", *firms], "firm not found in firms.csv",
                             hint="add the firm to firms.csv, fix the id, or use '*' for all"))
    grid = coverage(inputs.firms.select("firm", "_file", "_row").drop_nulls("firm"), f, "firm",
                    required_metrics("usage", inputs.settings.inference_mode))
    rule = missing_rule("a firm has no value for a usage metric (neither its own row nor '*')",
                        "add a '*' default row for that metric to usage.csv")
    return [main, CheckFrame("usage.coverage", "firms.csv", grid, [rule])]
