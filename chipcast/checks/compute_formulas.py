"""Suite for compute_formulas.csv: one row per name; every expression parses (whitelist)."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import columns_exist, not_null, unique
from chipcast.contracts import FORMULA_VARIABLES
from chipcast.inputs import Inputs
from chipcast.model.formulas import FormulaError, parse_formula


def parse_error(expression: str | None) -> str | None:
    """None when `expression` parses with chipcast.model.formulas, else the parser's message."""
    if expression is None:
        return None  # reported by the not-null rule
    try:
        parse_formula(expression, FORMULA_VARIABLES)
    except FormulaError as exc:
        return str(exc)
    return None


def checks(inputs: Inputs) -> list[CheckFrame]:
    """compute_formulas rows plus a `parse_error` column (null when the expression parses)."""
    f = inputs.compute_formulas
    f = f.with_columns(pl.Series("parse_error", [parse_error(e) for e in f["expression"]],
                                 dtype=pl.Utf8))
    rules = columns_exist(f, "compute_formulas") + not_null(
        ["name", "expression", "unit", "source"])
    rules.append(unique(["name"], "compute_formulas"))
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "parse_error"},
                      "expression does not parse",
                      hint="use numbers, known variable names, + - * / ** and parentheses only"))
    return [CheckFrame("compute_formulas", "compute_formulas.csv", f, rules)]
