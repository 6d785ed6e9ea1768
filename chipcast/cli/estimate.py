"""`chipcast estimate training|inference`: one model's chips from the compute formulas."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from chipcast.errors import UsageError

app = typer.Typer(help="compute formulas for one model (training or inference)",
                  no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir",
                                                help="inputs folder (default: the project's "
                                                "data/, else the shipped inputs)")]
Chip = Annotated[str, typer.Option(help="SKU or alias (A100, A800, H20, 910B...)")]
Json = Annotated[bool, typer.Option("--json", help="print one JSON object")]
Params = Annotated[float, typer.Option("--params", help="total parameters N")]
Active = Annotated[float | None, typer.Option("--active-params",
                                              help="active parameters per token (MoE); "
                                              "default N")]


def _positive(**values: float | None) -> None:
    for name, value in values.items():
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise UsageError(f"--{name.replace('_', '-')} must be a positive number, "
                             f"got {value}")


def _fmt(x: float | dict[str, float] | None, sci: bool = False) -> str:
    if x is None:
        return "n/a (give --days)"
    if isinstance(x, dict):
        return "  ".join(f"{k} {_fmt(v, sci)}" for k, v in x.items())
    return f"{x:.4g}" if sci else f"{x:,.0f}"


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


def _show(inputs_dir: Path | None, run: Any, chip: str, as_json: bool) -> None:
    # Imported here: `chipcast estimate` must not pay for the model's imports at start-up.
    from chipcast.inputs import load_inputs
    from chipcast.project import SHIPPED_DATA, find_project
    from chipcast.uncertainty.estimate import estimate

    if inputs_dir is None:
        # A calculator: the project's inputs when run inside one, else the shipped ones.
        try:
            inputs_dir = find_project().data_dir
        except UsageError:
            inputs_dir = SHIPPED_DATA
    result = estimate(load_inputs(inputs_dir, "base"), run, chip)
    print(json.dumps(result, indent=2) if as_json else render(result))


@app.command()
def training(
    params: Params,
    tokens: Annotated[float, typer.Option(help="training tokens D")],
    active_params: Active = None,
    mfu: Annotated[float | None, typer.Option(help="model FLOPs utilisation 0-1 "
                                                   "(default: data)")] = None,
    days: Annotated[float | None, typer.Option(help="training duration in days")] = None,
    chip: Chip = "A100",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Chips to train a model: 6 N D FLOPs at MFU for `days` (the article's 843 A100s)."""
    from chipcast.uncertainty.estimate import Training

    _positive(params=params, active_params=active_params, tokens=tokens, days=days, mfu=mfu)
    _show(data_dir, Training(params, tokens, active_params, mfu, days), chip, as_json)


@app.command()
def inference(
    params: Params,
    dau: Annotated[float, typer.Option(help="daily active users")],
    questions: Annotated[float, typer.Option(help="questions per user per day")],
    words: Annotated[float, typer.Option(help="words per answer")],
    active_params: Active = None,
    tokens_per_word: Annotated[float | None, typer.Option(help="tokens per word "
                                                               "(default: data)")] = None,
    prompt_tokens: Annotated[float, typer.Option(help="prompt tokens per question")] = 0.0,
    utilization: Annotated[float | None, typer.Option(help="serving utilisation 0-1 "
                                                           "(default: data)")] = None,
    chip: Chip = "A100",
    as_json: Json = False,
    data_dir: DataDir = None,
) -> None:
    """Chips to serve a model: 2 N FLOPs a token (the article's 16,255 A100s)."""
    from chipcast.uncertainty.estimate import Serving

    _positive(params=params, active_params=active_params, dau=dau, utilization=utilization)
    _show(data_dir, Serving(params, dau, questions, words, active_params, tokens_per_word,
                            prompt_tokens, utilization), chip, as_json)
