"""`chipcast estimate`: the per-model compute formulas on their own.

Inputs not given on the command line take their shipped default from data/ (the `*` rows of
model_classes and usage). When such a default is uncertain, the estimate is a distribution and
each output becomes {p10, p50, p90}, from a seeded scrambled-Sobol sample of the defaults.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from chipcast import compute
from chipcast.formulas import formula_set
from chipcast.params import DEFAULT_KEY, Parameter, param_id, parameters

QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}
_DRAWS = 2**14  # quantiles of a smooth function of <= 3 inputs: Sobol error well under 0.1 %
_SEED = 0  # estimates are reproducible: same inputs, same numbers


def _load(data_dir: str | None) -> Any:
    from chipcast.inputs import load_inputs
    from chipcast.paths import DATA_DIR

    return load_inputs(Path(data_dir) if data_dir else DATA_DIR, "base")


def _default(params: dict[str, Parameter], table: str, metric: str) -> Parameter:
    return params[param_id(table, [DEFAULT_KEY], metric)]


def _resolve_inputs(
    given: dict[str, float | None], defaults: dict[str, Parameter]
) -> tuple[dict[str, np.ndarray | float], dict[str, Any]]:
    """Values for each input: given ones as floats, missing ones from their default law.

    Returns the values (arrays of _DRAWS when any default is uncertain) and a description of
    where each came from.
    """
    values: dict[str, np.ndarray | float] = {}
    described: dict[str, Any] = {}
    uncertain = [k for k, v in given.items() if v is None and defaults[k].uncertain]
    sample = None
    if uncertain:
        sampler = qmc.Sobol(d=len(uncertain), scramble=True, seed=_SEED)
        sample = sampler.random(_DRAWS)
    for key, value in given.items():
        if value is not None:
            values[key] = float(value)
            described[key] = {"value": value, "from": "command line"}
        elif key in uncertain:
            u = sample[:, uncertain.index(key)]  # type: ignore[index]
            values[key] = defaults[key].law.ppf(u)
            described[key] = {
                "dist": defaults[key].dist,
                "from": defaults[key].param_id,
                "source": defaults[key].source,
            }
        else:
            values[key] = defaults[key].value
            described[key] = {
                "value": defaults[key].value,
                "from": defaults[key].param_id,
                "source": defaults[key].source,
            }
    return values, described


def _summarise(x: Any, uncertain: bool) -> float | dict[str, float] | None:
    """A number, or {p10, p50, p90} when any input was drawn from a distribution."""
    if x is None:
        return None
    arr = np.asarray(x, float)
    if not uncertain:
        return float(arr.reshape(-1)[0])
    return {k: float(np.quantile(arr, q)) for k, q in QUANTILES.items()}


def run_estimate(args: argparse.Namespace) -> dict[str, Any]:
    """The estimate as a JSON-ready dict: flops, gpu_hours, chips (+ tokens_per_day), inputs."""
    from chipcast.inputs import resolve_sku

    inputs = _load(args.data_dir)
    params = parameters(inputs)
    sku = resolve_sku(inputs, args.chip)
    peak = params[param_id("chip_specs", [sku], "dense_fp16_tflops")].value
    formulas = formula_set(inputs.compute_formulas.select("name", "expression").iter_rows())
    active = args.active_params if args.active_params is not None else args.params
    result: dict[str, Any] = {
        "kind": args.kind,
        "chip": sku,
        "peak_tflops": peak,
        "params": args.params,
        "active_params": active,
    }
    if args.kind == "training":
        values, described = _resolve_inputs(
            {"mfu": args.mfu}, {"mfu": _default(params, "model_classes", "mfu")}
        )
        est = compute.estimate_training(
            active, args.tokens, peak, values["mfu"], args.days, formulas["training_flops"]
        )
        result.update(tokens=args.tokens, days=args.days)
        out = {"flops": est.flops, "gpu_hours": est.gpu_hours, "chips": est.chips}
    else:
        given = {"tokens_per_word": args.tokens_per_word, "utilization": args.utilization}
        defaults = {
            "tokens_per_word": _default(params, "usage", "tokens_per_word"),
            "utilization": _default(params, "usage", "serving_utilization"),
        }
        values, described = _resolve_inputs(given, defaults)
        tokens = compute.tokens_per_day(
            args.dau,
            args.questions,
            args.words,
            values["tokens_per_word"],
            args.prompt_tokens,
            formulas["tokens_per_day"],
        )
        est = compute.estimate_inference(
            active, tokens, peak, values["utilization"], formulas["inference_flops_per_token"]
        )
        result.update(
            dau=args.dau,
            questions=args.questions,
            words=args.words,
            prompt_tokens=args.prompt_tokens,
        )
        out = {
            "tokens_per_day": est.tokens_per_day,
            "flops": est.flops,
            "gpu_hours": est.gpu_hours,
            "chips": est.chips,
        }
    result["inputs"] = described
    uncertain = any("dist" in d for d in described.values())
    result.update({k: _summarise(v, uncertain) for k, v in out.items()})
    return result


def _fmt(x: float | dict[str, float] | None, digits: int = 0, sci: bool = False) -> str:
    if x is None:
        return "n/a (give --days)"
    if isinstance(x, dict):
        return "  ".join(f"{k} {_fmt(v, digits, sci)}" for k, v in x.items())
    return f"{x:.4g}" if sci else f"{x:,.{digits}f}"


def render(result: dict[str, Any]) -> str:
    """The estimate as a few aligned lines for a terminal."""
    lines = [
        f"{result['kind']} estimate on {result['chip']} ({result['peak_tflops']:g} TFLOPS "
        f"dense FP16), N = {result['params']:.4g} (active {result['active_params']:.4g})"
    ]
    for name, d in result["inputs"].items():
        origin = d["from"] if "value" not in d else f"{d['value']:g} ({d['from']})"
        if "dist" in d:
            origin = f"{d['dist']} distribution ({d['from']}, {d['source']})"
        lines.append(f"  {name:<16} {origin}")
    per_day = " a day" if result["kind"] == "inference" else ""
    if "tokens_per_day" in result:
        lines.append(f"  {'tokens':<16} {_fmt(result['tokens_per_day'], sci=True)}{per_day}")
    lines.append(f"  {'FLOPs':<16} {_fmt(result['flops'], sci=True)}{per_day}")
    lines.append(f"  {'GPU-hours':<16} {_fmt(result['gpu_hours'])}{per_day}")
    chips = result["chips"]
    exact = f"  ({chips:,.1f})" if isinstance(chips, float) else ""
    lines.append(f"  {'chips':<16} {_fmt(chips)}{exact}")
    return "\n".join(lines)


def cmd_estimate(args: argparse.Namespace) -> int:
    """Handler of `chipcast estimate training|inference`."""
    for name in ("params", "active_params", "tokens", "days", "dau", "mfu", "utilization"):
        value = getattr(args, name, None)
        if value is not None and (not math.isfinite(value) or value <= 0):
            from chipcast.errors import UsageError

            raise UsageError(f"--{name.replace('_', '-')} must be a positive number, got {value}")
    result = run_estimate(args)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0
