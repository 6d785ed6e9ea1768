"""compute_formulas checks without GX: the sample (the seed's GPT-3 case) and the corners of the
variables' ranges. Expected figures are the seed's (tests/golden/FACTS.md S1-S3, S9)."""

from __future__ import annotations

import pytest

from chipcast.checks.compute_formulas import sample_value, stress_error
from chipcast.contracts import FORMULAS
from chipcast.model.formulas import FormulaError

GPT3 = {"training_flops": 6 * 175e9 * 300e9, "inference_flops_per_token": 2 * 175e9,
        "tokens_per_day": 50e6 * 10 * 400 * 4 / 3}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_defaults_give_the_seed_figures_and_hold_everywhere(name: str) -> None:
    assert sample_value(FORMULAS[name].default) == pytest.approx(GPT3[name])
    assert stress_error(FORMULAS[name].default) is None


@pytest.mark.parametrize("expression,where", [
    ("2 * active_params * 5e7 / dau", "dau = 0"),
    ("2 * active_params / (prompt_tokens * 0 + tokens_per_word - 0.5)", "tokens_per_word = 0.5"),
    ("2 * active_params - 1e11", "active_params = 1e+06"),
    ("active_params ** 10 * training_tokens ** 10 / 1e200", "training_tokens = 1e+16"),
])
def test_failures_at_a_corner_name_the_corner(expression: str, where: str) -> None:
    error = stress_error(expression)
    assert error is not None and where in error


def test_sample_failures_are_formula_errors() -> None:
    with pytest.raises(FormulaError, match="divide by zero"):
        sample_value("2 * active_params / prompt_tokens")  # the seed has no prompt tokens
    with pytest.raises(FormulaError, match="gives inf"):
        sample_value("1e308 * 10 + 0 * active_params")  # floats overflow to inf quietly
