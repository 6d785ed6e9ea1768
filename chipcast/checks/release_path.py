"""Suite for release_path.csv: units and ranges; firms exist (or `*`)."""

from __future__ import annotations

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import in_set, numeric_table
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """release_path rows (one per firm x metric)."""
    main = numeric_table("release_path", inputs.release_path)
    firms = inputs.firms["firm"].drop_nulls().to_list()
    main.rules.append(in_set("firm", ["*", *firms], "firm not found in firms.csv",
                             hint="add the firm to firms.csv, fix the id, or use '*' for all"))
    return [main]
