"""One model's chips on their own (`chipcast estimate`): the compute formulas for a training run
or a day of serving, with the inputs not given taken from the scenario's `*` defaults.

When such a default is uncertain the estimate is a distribution: the defaults are drawn with
the Monte Carlo sampler (chipcast.uncertainty.sampling, Sobol, fixed seed) and each output
becomes {p10, p50, p90}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from chipcast.contracts import DEFAULT_KEY
from chipcast.inputs import Inputs, resolve_sku
from chipcast.model import compute
from chipcast.model.formulas import formula_set
from chipcast.model.params import Parameter, param_id, parameters
from chipcast.uncertainty.quantiles import QUANTILE_METHOD
from chipcast.uncertainty.sampling import DrawPlan

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
DRAWS = 2**14  # quantiles of a smooth function of <= 3 inputs: Sobol error well under 0.1 %
SEED = 0  # estimates are reproducible: same inputs, same numbers

# estimate input -> the numeric row (table, metric) whose `*` default fills it
DEFAULTS = {
    "mfu": ("model_classes", "mfu"),
    "tokens_per_word": ("usage", "tokens_per_word"),
    "utilization": ("usage", "serving_utilization"),
}


@dataclass(frozen=True)
class Training:
    """A training run: N (total and active parameters), D tokens, MFU, days (optional)."""

    params: float
    tokens: float
    active_params: float | None = None
    mfu: float | None = None
    days: float | None = None


@dataclass(frozen=True)
class Serving:
    """A day of serving: N, daily users, questions, words per answer, prompt tokens."""

    params: float
    dau: float
    questions: float
    words: float
    active_params: float | None = None
    tokens_per_word: float | None = None
    prompt_tokens: float = 0.0
    utilization: float | None = None


def _values(given: Mapping[str, float | None], params: Mapping[str, Parameter]
            ) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Each input's value (given ones as floats, missing ones from their `*` default, drawn
    when uncertain), where it came from, and whether any was drawn."""
    defaults = {k: params[param_id(DEFAULTS[k][0], [DEFAULT_KEY], DEFAULTS[k][1])]
                for k, v in given.items() if v is None}
    drawn = {k: p for k, p in defaults.items() if p.uncertain}
    sample: dict[str, np.ndarray] = {}
    if drawn:
        plan = DrawPlan({p.param_id: p for p in drawn.values()}, sampler="sobol", seed=SEED)
        matrix = plan.draw_matrix(DRAWS)
        sample = {k: matrix[:, plan.ids.index(p.param_id)] for k, p in drawn.items()}
    values: dict[str, Any] = {}
    described: dict[str, Any] = {}
    for key, value in given.items():
        if value is not None:
            values[key] = float(value)
            described[key] = {"value": value, "from": "command line"}
        elif key in drawn:
            p = drawn[key]
            values[key] = sample[key]
            described[key] = {"dist": p.dist, "from": p.param_id, "source": p.source}
        else:
            p = defaults[key]
            values[key] = p.value
            described[key] = {"value": p.value, "from": p.param_id, "source": p.source}
    return values, described, bool(drawn)


def _summarise(x: Any, uncertain: bool) -> float | dict[str, float] | None:
    """A number, or {p10, p50, p90} when any input was drawn from a distribution."""
    if x is None:
        return None
    arr = np.asarray(x, float)
    if not uncertain:
        return float(arr.reshape(-1)[0])
    return {k: float(np.quantile(arr, q, method=QUANTILE_METHOD)) for k, q in QUANTILES.items()}


def estimate(inputs: Inputs, run: Training | Serving, chip: str) -> dict[str, Any]:
    """The estimate as a JSON-ready dict: kind, chip, peak_tflops, the run's figures, flops,
    gpu_hours, chips (tokens_per_day when serving) and where each input came from."""
    params = parameters(inputs)
    sku = resolve_sku(inputs, chip)
    peak = params[param_id("chip_specs", [sku], "dense_fp16_tflops")].value
    formulas = formula_set(inputs.compute_formulas.select("name", "expression").iter_rows())
    active = run.active_params if run.active_params is not None else run.params
    result: dict[str, Any] = {"kind": "training" if isinstance(run, Training) else "inference",
                              "chip": sku, "peak_tflops": peak, "params": run.params,
                              "active_params": active}
    if isinstance(run, Training):
        values, described, uncertain = _values({"mfu": run.mfu}, params)
        est = compute.estimate_training(active, run.tokens, peak, values["mfu"], run.days,
                                        formulas["training_flops"])
        result.update(tokens=run.tokens, days=run.days)
        out = {"flops": est.flops, "gpu_hours": est.gpu_hours, "chips": est.chips}
    else:
        values, described, uncertain = _values(
            {"tokens_per_word": run.tokens_per_word, "utilization": run.utilization}, params)
        tokens = compute.tokens_per_day(run.dau, run.questions, run.words,
                                        values["tokens_per_word"], run.prompt_tokens,
                                        formulas["tokens_per_day"])
        inf = compute.estimate_inference(active, tokens, peak, values["utilization"],
                                         formulas["inference_flops_per_token"])
        result.update(dau=run.dau, questions=run.questions, words=run.words,
                      prompt_tokens=run.prompt_tokens)
        out = {"tokens_per_day": inf.tokens_per_day, "flops": inf.flops,
               "gpu_hours": inf.gpu_hours, "chips": inf.chips}
    result["inputs"] = described
    result.update({k: _summarise(v, uncertain) for k, v in out.items()})
    return result
