"""Suite for chips.csv: one row per SKU, aliases unique across chips, export control known."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame
from chipcast.checks.rules import columns_exist, in_set, not_null, unique
from chipcast.contracts import EXPORT_CONTROLS
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """chips (one row per sku) and chips.aliases (one row per lower-cased name)."""
    f = inputs.chips
    rules = columns_exist(f, "chips") + not_null(
        ["sku", "family", "vendor", "form_factor", "launch_date", "export_control", "source"])
    rules += [unique(["sku"], "chips"),
              in_set("export_control", list(EXPORT_CONTROLS), "unknown export_control",
                     hint="us (legal only in the export regimes listing the chip) or none")]
    # Every sku and alias must resolve to exactly one chip (case-insensitive).
    names = pl.concat([
        f.select(pl.col("sku").alias("name"), "sku", "_file", "_row"),
        f.select(pl.col("aliases").alias("name"), "sku", "_file", "_row").explode("name"),
    ]).drop_nulls("name").with_columns(pl.col("name").str.to_lowercase())
    names = names.unique(["name", "sku"], keep="first", maintain_order=True)
    alias_rules = [unique(["name"], "chips")]
    alias_rules[0].message = "a name or alias is used by two chips"
    alias_rules[0].hint = "each sku and alias must name one chip (case-insensitive)"
    return [CheckFrame("chips", "chips.csv", f, rules),
            CheckFrame("chips.aliases", "chips.csv", names, alias_rules)]
