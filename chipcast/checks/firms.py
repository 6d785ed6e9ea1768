"""Suite for firms.csv: one row per firm, with a name, sector and source."""

from __future__ import annotations

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import columns_exist, not_null, unique
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """firms: one row per firm id."""
    f = inputs.firms
    rules = columns_exist(f, "firms") + not_null(["firm", "name", "sector", "source"])
    rules.append(unique(["firm"], "firms"))
    return [CheckFrame("firms", "firms.csv", f, rules)]
