"""Per-model compute: training and (compute-bound) inference chips.

Pure functions over floats or numpy arrays (they broadcast over Monte Carlo draws). The FLOPs
formulas come from data (chipcast.model.formulas); the defaults are the seed article's 6·N per
training token and 2·N per inference token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipcast.contracts import FORMULA_VARIABLES, FORMULAS
from chipcast.model.formulas import Formula, parse_formula

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_HOUR = 3_600.0
TERA = 1e12

ArrayLike = float | np.ndarray

_DEFAULTS = {name: parse_formula(f.default, FORMULA_VARIABLES) for name, f in FORMULAS.items()}


@dataclass(frozen=True)
class TrainingEstimate:
    """One training run: total FLOPs, chip-hours at the given MFU, chips for the duration."""

    flops: ArrayLike  # FLOPs
    gpu_hours: ArrayLike  # chip-hours
    chips: ArrayLike | None  # chips busy for `days`; None when no duration is given


@dataclass(frozen=True)
class InferenceEstimate:
    """Serving load for one day: FLOPs a day, chip-hours a day, chips busy on average."""

    tokens_per_day: ArrayLike  # tokens/day
    flops: ArrayLike  # FLOPs/day
    gpu_hours: ArrayLike  # chip-hours/day
    chips: ArrayLike  # chips


def training_flops(
    active_params: ArrayLike, training_tokens: ArrayLike, formula: Formula | None = None
) -> ArrayLike:
    """FLOPs to train on `training_tokens` tokens (default 6 · N_active · D)."""
    f = formula or _DEFAULTS["training_flops"]
    return f.evaluate({"active_params": active_params, "training_tokens": training_tokens})


def chip_seconds(flops: ArrayLike, peak_tflops: ArrayLike, utilization: ArrayLike) -> ArrayLike:
    """Chip-seconds to deliver `flops` at `utilization` of a `peak_tflops` chip."""
    return flops / (peak_tflops * TERA * utilization)


def chips_busy(flops: ArrayLike, peak_tflops: ArrayLike, utilization: ArrayLike,
               seconds: ArrayLike) -> ArrayLike:
    """Chips kept busy for `seconds` delivering `flops` at `utilization` of `peak_tflops`: the
    one chips-from-FLOPs conversion (training runs, serving days, A100-equivalents)."""
    return chip_seconds(flops, peak_tflops, utilization) / seconds


def estimate_training(
    active_params: ArrayLike,
    training_tokens: ArrayLike,
    peak_tflops: ArrayLike,
    mfu: ArrayLike,
    days: ArrayLike | None = None,
    formula: Formula | None = None,
) -> TrainingEstimate:
    """FLOPs, chip-hours and chips (if `days` is given) of one training run."""
    flops = training_flops(active_params, training_tokens, formula)
    seconds = chip_seconds(flops, peak_tflops, mfu)
    chips = None if days is None else chips_busy(flops, peak_tflops, mfu, days * SECONDS_PER_DAY)
    return TrainingEstimate(flops=flops, gpu_hours=seconds / SECONDS_PER_HOUR, chips=chips)


def tokens_per_day(
    dau: ArrayLike,
    questions_per_user_day: ArrayLike,
    words_per_answer: ArrayLike,
    tokens_per_word: ArrayLike,
    prompt_tokens: ArrayLike = 0.0,
    formula: Formula | None = None,
) -> ArrayLike:
    """Tokens processed a day (answer tokens plus prompt tokens), in tokens/day."""
    f = formula or _DEFAULTS["tokens_per_day"]
    return f.evaluate(
        {
            "dau": dau,
            "questions_per_user_day": questions_per_user_day,
            "words_per_answer": words_per_answer,
            "tokens_per_word": tokens_per_word,
            "prompt_tokens": prompt_tokens,
        }
    )


def inference_flops_per_token(
    active_params: ArrayLike, formula: Formula | None = None
) -> ArrayLike:
    """FLOPs per token served (default 2 · N_active)."""
    f = formula or _DEFAULTS["inference_flops_per_token"]
    return f.evaluate({"active_params": active_params})


def estimate_inference(
    active_params: ArrayLike,
    tokens_day: ArrayLike,
    peak_tflops: ArrayLike,
    utilization: ArrayLike,
    formula: Formula | None = None,
) -> InferenceEstimate:
    """Compute-bound serving: FLOPs/day, chip-hours/day and average chips busy."""
    flops = inference_flops_per_token(active_params, formula) * tokens_day
    seconds = chip_seconds(flops, peak_tflops, utilization)
    return InferenceEstimate(
        tokens_per_day=tokens_day,
        flops=flops,
        gpu_hours=seconds / SECONDS_PER_HOUR,
        chips=chips_busy(flops, peak_tflops, utilization, SECONDS_PER_DAY),
    )
