"""The whitelist formula parser: shipped formulas parse; anything beyond arithmetic is refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipcast.contracts import FORMULA_VARIABLES, FORMULAS
from chipcast.model.formulas import FormulaError, formula_set, parse_formula


def test_default_formulas_parse_and_give_the_seed_numbers() -> None:
    f = formula_set([])
    assert f["training_flops"].evaluate({"active_params": 175e9, "training_tokens": 300e9}) == (
        pytest.approx(3.15e23)
    )
    assert f["inference_flops_per_token"].evaluate({"active_params": 175e9}) == 3.5e11
    tokens = f["tokens_per_day"].evaluate(
        {"dau": 50e6, "questions_per_user_day": 10, "words_per_answer": 400,
         "tokens_per_word": 4 / 3, "prompt_tokens": 0}
    )
    assert tokens == pytest.approx(2.0e11 * 4 / 3)


def test_label_form_and_arrays_broadcast() -> None:
    f = parse_formula("training_flops = 6 * active_params * training_tokens", FORMULA_VARIABLES)
    assert f.names == {"active_params", "training_tokens"}
    out = f.evaluate({"active_params": np.array([1.0, 2.0]), "training_tokens": 10.0})
    np.testing.assert_allclose(out, [60.0, 120.0])


def test_rows_override_defaults() -> None:
    f = formula_set([("inference_flops_per_token", "2 * active_params + 1")])
    assert f["inference_flops_per_token"].evaluate({"active_params": 1.0}) == 3.0


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "active_params.__class__",
        "abs(active_params)",
        "active_params[0]",
        "unknown_name * 2",
        "active_params if 1 else 2",
        "active_params < 2",
        "lambda: 1",
        "'6' * active_params",
        "True * active_params",
        "active_params // 2",
        "active_params % 2",
        "active_params ; 1",
        "a = b = 1",
        "[active_params]",
        "",
        "6 *",
        "x" * 600,
    ],
)
def test_rejects_everything_but_arithmetic(text: str) -> None:
    with pytest.raises(FormulaError):
        parse_formula(text, FORMULA_VARIABLES)


def test_unknown_name_message_lists_known_names() -> None:
    with pytest.raises(FormulaError, match="unknown name 'n'.*active_params"):
        parse_formula("6 * n * training_tokens", FORMULA_VARIABLES)


def test_missing_value_and_division_by_zero_are_formula_errors() -> None:
    f = parse_formula("active_params / prompt_tokens", FORMULA_VARIABLES)
    with pytest.raises(FormulaError, match="needs values"):
        f.evaluate({"active_params": 1.0})
    with pytest.raises(FormulaError, match="cannot be evaluated"):
        f.evaluate({"active_params": np.array([1.0]), "prompt_tokens": np.array([0.0])})


_names = st.sampled_from(sorted(FORMULA_VARIABLES))
_numbers = st.floats(min_value=0.5, max_value=1e3, allow_nan=False).map(lambda x: f"{x!r}")
_leaf = st.one_of(_names, _numbers)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
        lambda t: f"({t[0]} {t[1]} {t[2]})"
    )


@given(st.recursive(_leaf, _combine, max_leaves=12))
def test_random_arithmetic_parses_and_matches_python(text: str) -> None:
    f = parse_formula(text, FORMULA_VARIABLES)
    env = {name: 1.5 + i for i, name in enumerate(sorted(FORMULA_VARIABLES))}
    try:
        got = f.evaluate(env)
    except FormulaError:
        return  # a random expression may divide by zero; that must be a FormulaError
    # reference: Python's own arithmetic on the same expression (test-side only)
    expected = eval(text, {"__builtins__": {}}, env)  # noqa: S307 - trusted generated text
    assert got == pytest.approx(expected, rel=1e-9)


@given(st.text(max_size=40))
def test_junk_never_raises_anything_but_formula_error(text: str) -> None:
    try:
        parse_formula(text, FORMULA_VARIABLES)
    except FormulaError:
        pass


def test_default_formula_names_are_the_models() -> None:
    assert set(FORMULAS) == {"training_flops", "inference_flops_per_token", "tokens_per_day"}


@pytest.mark.parametrize("text", [
    "10**10**10", "active_params ** active_params", "2 ** (1 + 1)", "2 ** 11", "2 ** -11",
    "active_params ** 1e400",
])
def test_exponents_are_bounded_numbers(text: str) -> None:
    with pytest.raises(FormulaError, match="exponent must be a number between -10 and 10"):
        parse_formula(text, FORMULA_VARIABLES)


@pytest.mark.parametrize("text", ["active_params ** 0.5", "2 ** -3", "active_params ** 10",
                                  "active_params ** -(10)"])
def test_small_number_exponents_are_allowed(text: str) -> None:
    f = parse_formula(text, FORMULA_VARIABLES)
    exponent = float(text.split("**")[1].replace("(", "").replace(")", ""))
    base = 4.0 if "active_params" in text else 2.0
    assert f.evaluate({"active_params": 4.0}) == pytest.approx(base ** exponent)


def test_tree_size_is_bounded() -> None:
    with pytest.raises(FormulaError, match="more than 200 terms"):
        parse_formula("+".join(["1"] * 150), FORMULA_VARIABLES)
    assert parse_formula(" + ".join(["1"] * 60), FORMULA_VARIABLES).evaluate({}) == 60.0


@pytest.mark.parametrize("text,why", [
    ("1x", "invalid decimal literal"), ("(" * 300 + "1" + ")" * 300, "longer than 500"),
    ("-" * 300 + "1", "more than 200 terms"), ("'" + "x" * 100 + "'", "only numbers"),
])
def test_parser_errors_say_why_without_repeating_the_formula(text: str, why: str) -> None:
    with pytest.raises(FormulaError) as err:
        parse_formula(text, FORMULA_VARIABLES)
    assert why in str(err.value)
    assert len(err.value.reason) <= 120 and text not in err.value.reason


def test_evaluation_failures_are_formula_errors() -> None:
    for text in ("active_params / 0", "active_params * 1e300 * 1e300"):
        with pytest.raises(FormulaError, match="cannot be evaluated"):
            parse_formula(text, FORMULA_VARIABLES).evaluate({"active_params": np.array([1e10])})
