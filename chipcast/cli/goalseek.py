"""`chipcast goalseek`: which single input value makes a headline reach a target."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from chipcast.cli.format import console, number, table
from chipcast.cli.options import ProjectOption, folders
from chipcast.contracts import HEADLINES

Metric = StrEnum("Metric", {name: name for name in HEADLINES})  # type: ignore[misc]
TOP = 25


def register(app: typer.Typer) -> None:
    app.command(name="goalseek")(goalseek_command)


def print_goal_seek(df: pl.DataFrame, metric: str, target: float, scenario: str,
                    top: int = TOP) -> None:
    """The metric now, then the inputs reaching the target (smallest change first)."""
    from chipcast.uncertainty.goalseek import (
        FIXED_FACTOR,
        NO_EFFECT,
        REACHED,
        TAIL,
        UNREACHABLE,
    )

    h = HEADLINES[metric]
    now = df["metric_at_current"][0] if df.height else math.nan
    out = console()
    out.print(f"goal-seek {metric} = {number(target)} {h.unit} in scenario {scenario}")
    out.print(f"({h.definition}); now {number(now)} {h.unit} with every input at its value.")
    out.print("Each row moves ONE input, all others at their values:")
    reached = df.filter(pl.col("status") == REACHED)
    rows = [[r["input"], r["current"], r["value"],
             f"x{r['ratio']:.3g}" if r["ratio"] is not None else "-", r["range"]]
            for r in reached.head(top).iter_rows(named=True)]
    if rows:
        out.print(table(["input", "current", "needed", "change", "searched range"], rows))
        if reached.height > top:
            out.print(f"... and {reached.height - top} more inputs that reach the target")
    else:
        out.print("no single input reaches the target within its range")
    unreachable = df.filter(pl.col("status") == UNREACHABLE)
    if unreachable.height:
        out.print(f"unreachable within its range ({unreachable.height}): "
                  + ", ".join(unreachable["input"].head(12).to_list())
                  + (" ..." if unreachable.height > 12 else ""))
    none = df.filter(pl.col("status") == NO_EFFECT).height
    out.print(f"{none} inputs have no effect on {metric}.")
    if df.filter(pl.col("range").str.starts_with("fixed")).height:
        out.print(f"Fixed inputs were searched from value/{FIXED_FACTOR:g} to value x "
                  f"{FIXED_FACTOR:g}; uncertain ones over their distribution's "
                  f"P{TAIL * 100:g}-P{(1 - TAIL) * 100:g}.")


def goalseek_command(
    target: Annotated[float, typer.Option(help="the value the metric should reach")],
    metric: Annotated[Metric, typer.Option(help="the headline to move")],
    scenario: Annotated[str, typer.Option(help="scenario")] = "base",
    data_dir: Annotated[Path | None, typer.Option(help="inputs folder (default: the project's "
                                                       "data/)")]
    = None,
    project: ProjectOption = None,
) -> None:
    """For each single input, the value that makes a headline reach the target (every other
    input at its point value)."""
    from chipcast.inputs import load_inputs
    from chipcast.uncertainty.goalseek import goal_seek

    inputs = load_inputs(folders(project, data_dir, need=("data",))[1], scenario)
    df = goal_seek(inputs, metric.value, target)
    print_goal_seek(df, metric.value, target, scenario)
