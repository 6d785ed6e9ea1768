"""Suite for compute_formulas.csv: one row per name; every name is a formula the model reads
(chipcast.contracts.FORMULAS: a misspelt name would be ignored and the built-in used); every
expression parses (whitelist), evaluates on the seed's GPT-3 case (contracts.SAMPLE_CASE)
without an error, and gives a positive result within PLAUSIBLE_FACTOR of the default
expression's there, and stays finite and non-negative at every corner of the variables'
ranges (contracts.STRESS_RANGES), so the run never meets a formula that fails or silently
shrinks the answer."""

from __future__ import annotations

import difflib
import itertools
import math

import numpy as np
import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import columns_exist, in_set, not_null, unique
from chipcast.contracts import FORMULA_VARIABLES, FORMULAS
from chipcast.contracts.formulas import PLAUSIBLE_FACTOR, SAMPLE_CASE, STRESS_RANGES
from chipcast.inputs import Inputs
from chipcast.model.formulas import FormulaError, parse_formula


def parse_error(expression: str | None) -> str | None:
    """None when `expression` parses with chipcast.model.formulas, else why not (the formula
    itself is not quoted: the problem names its row)."""
    if expression is None:
        return None  # reported by the not-null rule
    try:
        parse_formula(expression, FORMULA_VARIABLES)
    except FormulaError as exc:
        return exc.reason
    return None


def sample_value(expression: str) -> float:
    """The formula's value on SAMPLE_CASE, evaluated as the model does (numpy arrays of draws);
    FormulaError if it cannot be evaluated or is not finite."""
    formula = parse_formula(expression, FORMULA_VARIABLES)
    env = {k: np.array([v]) for k, v in SAMPLE_CASE.items()}
    value = formula.evaluate(env)
    result = float(np.asarray(value, dtype=float).reshape(-1)[0])
    if not math.isfinite(result):
        raise FormulaError(f"formula {expression!r} gives {result:g}",
                           "gives an infinite or undefined value")
    return result


def stress_error(expression: str) -> str | None:
    """None when the formula gives a finite, non-negative value at every corner of
    STRESS_RANGES (the variables it reads at their lowest or highest), else what went wrong
    and where."""
    formula = parse_formula(expression, FORMULA_VARIABLES)
    names = sorted(formula.names)
    for corner in itertools.product(*(STRESS_RANGES[n] for n in names)):
        env = {n: np.array([v]) for n, v in zip(names, corner, strict=True)}
        where = ", ".join(f"{n} = {v:g}" for n, v in zip(names, corner, strict=True))
        try:
            value = float(np.asarray(formula.evaluate(env), dtype=float).reshape(-1)[0])
        except FormulaError as exc:
            return f"{exc.reason} at {where}"
        if not math.isfinite(value) or value < 0:
            return f"gives {value:g} at {where}"
    return None


def _reference(name: str) -> float | None:
    spec = FORMULAS.get(name)
    return None if spec is None else sample_value(spec.default)


def _evaluation(name: str | None, expression: str | None) -> tuple[str | None, float | None,
                                                                    float | None]:
    """(eval_error, sample value, ratio to the default's sample value) of one row."""
    if expression is None or parse_error(expression) is not None:
        return None, None, None  # reported by the not-null and parse rules
    try:
        value = sample_value(expression)
    except FormulaError as exc:
        return exc.reason, None, None
    stress = stress_error(expression)
    if stress is not None:
        return stress, None, None
    reference = _reference(name) if name is not None else None
    return None, value, None if reference is None else value / reference


def checks(inputs: Inputs) -> list[CheckFrame]:
    """compute_formulas rows plus `parse_error` (null when the expression parses),
    `eval_error` (null when it evaluates on the sample case), `sample_value` and
    `sample_ratio` (its value over the default expression's value on the sample case)."""
    f = inputs.compute_formulas
    rows = [_evaluation(n, e) for n, e in zip(f["name"], f["expression"], strict=True)]
    f = f.with_columns(
        pl.Series("parse_error", [parse_error(e) for e in f["expression"]], dtype=pl.Utf8),
        pl.Series("eval_error", [r[0] for r in rows], dtype=pl.Utf8),
        pl.Series("sample_value", [r[1] for r in rows], dtype=pl.Float64),
        pl.Series("sample_ratio", [r[2] for r in rows], dtype=pl.Float64))
    rules = columns_exist(f, "compute_formulas") + not_null(
        ["name", "expression", "unit", "source"])
    rules.append(unique(["name"], "compute_formulas"))
    names = sorted(FORMULAS)
    known = in_set("name", names, "not a formula the model reads (it would be ignored)")
    known.hint_fn = lambda r: _name_hint(r.get("name"), names)
    rules.append(known)
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "parse_error"},
                      "expression does not parse", label="expression",
                      hint_fn=lambda r: f"{r['parse_error']}; use numbers, known variable "
                      "names, + - * / ** and parentheses only"))
    rules.append(Rule("ExpectColumnValuesToBeNull", {"column": "eval_error"},
                      "expression fails on the seed's GPT-3 case or in the inputs' ranges",
                      label="expression",
                      hint_fn=lambda r: f"it {r['eval_error']}: check divisions, subtractions and "
                      "powers (data/README.md, compute_formulas.csv)"))
    low, high = 1 / PLAUSIBLE_FACTOR, PLAUSIBLE_FACTOR
    plausible = Rule("ExpectColumnValuesToBeBetween",
                     {"column": "sample_ratio", "min_value": low, "max_value": high},
                     "implausible result on the seed's GPT-3 case", label="expression",
                     hint_fn=_plausibility_hint)
    rules.append(plausible)
    return [CheckFrame("compute_formulas", "compute_formulas.csv", f, rules)]


def _name_hint(name: str | None, names: list[str]) -> str:
    close = difflib.get_close_matches(name or "", names, n=1)
    also = f" (did you mean {close[0]}?)" if close else ""
    return f"use one of {', '.join(names)}{also}"


def _plausibility_hint(row: dict[str, object]) -> str:
    spec = FORMULAS[str(row["name"])]
    value = float(row["sample_value"])  # type: ignore[arg-type]
    reference = _reference(spec.name) or math.nan
    return (f"on GPT-3 (N 175e9, D 300e9; 50M users x 10 questions x 400 words) it gives "
            f"{value:.3g} {spec.unit}, the article's {spec.default} gives {reference:.3g}: "
            f"{spec.name} must be positive and within {1 / PLAUSIBLE_FACTOR:g}x-"
            f"{PLAUSIBLE_FACTOR:g}x of that")
