"""The formulas `data/compute_formulas.csv` may define: their names, units, the variables an
expression may read, and the seed article's expressions used when the file omits one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormulaSpec:
    """A formula the model evaluates: its unit and the seed article's default expression."""

    name: str
    unit: str
    default: str
    description: str


FORMULAS: dict[str, FormulaSpec] = {f.name: f for f in (
    FormulaSpec("training_flops", "FLOPs", "6 * active_params * training_tokens",
                "FLOPs of one training run (article S1; Kaplan et al. 2020)"),
    FormulaSpec("inference_flops_per_token", "FLOPs/token", "2 * active_params",
                "FLOPs per token served (article S2)"),
    FormulaSpec("tokens_per_day", "tokens/day",
                "dau * questions_per_user_day * (words_per_answer * tokens_per_word"
                " + prompt_tokens)", "tokens served a day (article S9 plus prompt tokens)"),
)}

# Names an expression may use.
FORMULA_VARIABLES = frozenset({
    "total_params", "active_params", "training_tokens", "dau", "questions_per_user_day",
    "words_per_answer", "tokens_per_word", "prompt_tokens",
})

# The seed article's GPT-3 case (tests/golden/FACTS.md S3, S9; 4/3 tokens a word as the
# article counts): `chipcast validate` evaluates every formula of compute_formulas.csv on these
# values and requires its result within PLAUSIBLE_FACTOR of the default expression's (6 N D =
# 3.15e23 FLOPs, 2 N = 3.5e11 FLOPs a token, 2.67e11 tokens a day), so a typo such as
# `0 * active_params` or a unit slip of 1e3 is an input error, not a quietly smaller forecast.
SAMPLE_CASE: dict[str, float] = {
    "total_params": 175e9, "active_params": 175e9, "training_tokens": 300e9, "dau": 50e6,
    "questions_per_user_day": 10.0, "words_per_answer": 400.0, "tokens_per_word": 4 / 3,
    "prompt_tokens": 0.0,
}
PLAUSIBLE_FACTOR = 10.0  # a formula's sample result must lie within 1/10x-10x the default's

# Ranges a formula's variables may take in a run (wider than any shipped input: served models
# down to 1e6 parameters, generations grown past 1e13; no users and no prompt in a firm's
# first month). `chipcast validate` evaluates every formula at each corner of these ranges:
# one that fails or turns negative somewhere (`x / dau`, `active_params - 1e11`) would fail or
# mislead a run, so it is an input error naming the row.
STRESS_RANGES: dict[str, tuple[float, float]] = {
    "total_params": (1e6, 1e15), "active_params": (1e6, 1e15),
    "training_tokens": (1e9, 1e16), "dau": (0.0, 2e9), "questions_per_user_day": (0.1, 1e3),
    "words_per_answer": (1.0, 1e5), "tokens_per_word": (0.5, 5.0), "prompt_tokens": (0.0, 1e6),
}
