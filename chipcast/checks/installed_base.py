"""Suite for installed_base.csv: units and ranges; SKUs exist; years before the grid."""

from __future__ import annotations

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import between, in_set, numeric_table
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """installed_base rows (one per year x sku)."""
    main = numeric_table("installed_base", inputs.installed_base)
    main.rules.append(in_set("sku", inputs.chips["sku"].drop_nulls().to_list(),
                             "sku not found in chips.csv",
                             hint="add the chip to chips.csv or fix the sku"))
    first = inputs.settings.start.year
    rule = between("year", 2000, first - 1, f"year is not before the grid's start ({first})",
                   hint="list cards shipped before settings.start only; the model ships the "
                   "grid's cards itself")
    rule.scale = None
    main.rules.append(rule)
    return [main]
