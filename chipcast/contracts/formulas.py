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
