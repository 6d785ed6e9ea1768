"""The founding article's arithmetic, restated from the run's own inputs of the seed scenario
and set beside the model's result for that scenario.

The article: train one GPT-3-class model in a month, serve it to its users, add the two fleets,
take GPT-4-class models at a multiple of that compute, one per top firm, and conclude "more than
2 million" A100s. Every input here is a staged input of the seed scenario (data.SeedInputs: the
model class most of its releases use and the firms releasing it, the default usage row, the
A100-family TFLOPS, the fleet's reference TFLOPS and the compute formulas) and the arithmetic is
chipcast.model's; the one constant is the article's claim (chipcast.contracts.SEED_CLAIM), the
thing being checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcast.contracts import DEFAULT_KEY, SEED_CLAIM
from chipcast.model.compute import SECONDS_PER_DAY, chips_busy, tokens_per_day
from chipcast.model.formulas import formula_set
from chipcast.report.data import SeedInputs
from chipcast.report.fmt import fmt_input, fmt_num

MODEL_METRICS = ("active_params", "total_params", "training_tokens", "training_days", "mfu",
                 "compute_multiplier", "experiment_multiplier")
USAGE_METRICS = ("dau_target", "questions_per_user_day", "words_per_answer", "tokens_per_word",
                 "prompt_tokens", "serving_utilization", "peak_to_average")


@dataclass(frozen=True)
class Step:
    """One line of the restated arithmetic: what, how many A100s, and how it was computed."""

    label: str
    value: float
    how: str
    at_least: bool = False  # the article's claim is a lower bound ("more than")


def _times(value: float, what: str) -> str:
    """' x 1.5 what' when a multiplier is not 1 (the article leaves those out), else ''."""
    return f" × {value:g} {what}" if value != 1 else ""


def _a100_tflops(inputs: SeedInputs) -> float | None:
    """Dense FP16 TFLOPS of the A100 the world ships: the A100-family SKUs its export regimes
    allow (else all of the family); the lowest if they differ (more chips, never fewer)."""
    allowed = [r for r in inputs.a100_tflops if r["allowed"]] or inputs.a100_tflops
    values = [float(r["tflops"]) for r in allowed if r["tflops"] is not None]
    return min(values) if values else None


def reconcile(inputs: SeedInputs) -> dict[str, Any]:
    """The article's steps (per model in A100s, times firms and the compute multiplier), the
    gap to its claim and the model's peak required compute (summed over firms; A100-eq and
    A100s). `missing` lists inputs the seed scenario lacks (then there are no steps)."""
    m, u = inputs.model, inputs.usage
    tflops = _a100_tflops(inputs)
    reference = inputs.fleet.get("reference_tflops")
    missing = [f"model_classes:{inputs.model_class or '?'}:{k}" for k in MODEL_METRICS
               if k not in m]
    missing += [f"usage:{DEFAULT_KEY}:{k}" for k in USAGE_METRICS if k not in u]
    missing += ["chip_specs: an A100-family dense_fp16_tflops"] if tflops is None else []
    missing += ["fleet:reference_tflops"] if reference is None else []
    missing += ["model_releases: a release"] if not inputs.firms else []
    if missing:
        return {"missing": missing, "steps": []}
    assert tflops is not None and reference is not None
    formulas = formula_set(inputs.formulas.items())
    params = {"active_params": m["active_params"], "total_params": m["total_params"]}
    flops = formulas["training_flops"].evaluate({**params,
                                                 "training_tokens": m["training_tokens"]})
    train = float(chips_busy(flops, tflops, m["mfu"], m["training_days"] * SECONDS_PER_DAY)
                  * m["experiment_multiplier"])
    tokens = float(tokens_per_day(u["dau_target"], u["questions_per_user_day"],
                                  u["words_per_answer"], u["tokens_per_word"], u["prompt_tokens"],
                                  formula=formulas["tokens_per_day"]))
    per_token = formulas["inference_flops_per_token"].evaluate(params)
    serve = float(chips_busy(per_token * tokens, tflops, u["serving_utilization"],
                             SECONDS_PER_DAY) * u["peak_to_average"])
    per_model = train + serve
    multiplier = m["compute_multiplier"]
    cls = inputs.model_class
    stated = inputs.firms * multiplier * per_model
    if stated <= 0:
        return {"missing": [f"a positive compute need ({cls}: {fmt_num(stated)} A100s)"],
                "steps": []}
    steps = [
        Step(f"Train one {cls} model", train,
             f"{inputs.formulas.get('training_flops', 'training_flops')} with active_params "
             f"{fmt_input(m['active_params'])} and training_tokens "
             f"{fmt_input(m['training_tokens'])}, at {m['mfu']:.1%} of {tflops:g} TFLOPS for "
             f"{m['training_days']:g} days" + _times(m["experiment_multiplier"], "experiments")),
        Step("Serve it", serve,
             f"{fmt_input(tokens)} tokens/day ({fmt_input(u['dau_target'])} users × "
             f"{u['questions_per_user_day']:g} questions × ({u['words_per_answer']:g} words × "
             f"{u['tokens_per_word']:.4g} tokens/word + {u['prompt_tokens']:g} prompt tokens)) "
             f"× {fmt_input(per_token)} FLOPs/token at {u['serving_utilization']:.1%} of "
             f"{tflops:g} TFLOPS" + _times(u["peak_to_average"], "peak to average")),
        Step("Per model", per_model, "training and serving fleets added, as the article does"),
        Step(f"{inputs.firms} firms × {multiplier:g}× the compute (compute_multiplier of "
             f"{cls})", stated, "the article's arithmetic on these inputs"),
        Step("The article's claim", SEED_CLAIM, '"more than 2 million" new A100s',
             at_least=True),
    ]
    peak = max(inputs.need, key=lambda r: (r["total"], -r["month"].toordinal()), default=None)
    # The model counts A100-equivalents of reference_tflops; the article counts A100s.
    peak_a100 = float(peak["total"]) * reference / tflops if peak else None
    return {
        "missing": [],
        "steps": steps,
        "model_class": cls,
        "firms": inputs.firms,
        "multiplier": multiplier,
        "stated": stated,
        "claim": SEED_CLAIM,
        "gap_ratio": SEED_CLAIM / stated,
        # Everything is linear in the multiplier: this one reaches the claim.
        "multiplier_needed": multiplier * SEED_CLAIM / stated,
        "model_peak": peak,
        "model_peak_a100": peak_a100,
        "model_ratio": peak_a100 / stated if peak_a100 is not None else None,
    }
