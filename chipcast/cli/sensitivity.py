"""`chipcast sensitivity --scenario S`: which inputs move the headlines (tornado and Sobol)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from chipcast.cli.format import console, number, table
from chipcast.cli.options import ProjectOption, folders
from chipcast.contracts import HEADLINES

TOP = 10


def register(app: typer.Typer) -> None:
    app.command(name="sensitivity")(sensitivity_command)


def print_sensitivity(df: pl.DataFrame, top: int = TOP) -> None:
    """Per headline: the top inputs by tornado swing, with their S1/ST where computed."""
    out = console()
    for name, headline in HEADLINES.items():
        sub = df.filter(pl.col("headline") == name)
        if sub.height == 0:
            continue
        tor = sub.filter(pl.col("method") == "tornado").select(
            "input", "low", "high", "swing", "baseline")
        sob = sub.filter(pl.col("method") == "sobol").select("input", "s1", "st")
        joined = tor.join(sob, on="input", how="full", coalesce=True) if tor.height else sob
        order = "swing" if tor.height else "st"
        joined = joined.sort(order, descending=True, nulls_last=True).head(top)
        base = tor["baseline"][0] if tor.height else None
        rows = [[r["input"], r.get("low"), r.get("high"), r.get("swing"),
                 None if r.get("s1") is None else round(r["s1"], 2),
                 None if r.get("st") is None else round(r["st"], 2)]
                for r in joined.iter_rows(named=True)]
        out.print(table(["input", "at P10", "at P90", "swing", "S1", "ST"], rows,
                        title=f"{name} ({headline.unit}; all inputs at median: "
                              f"{number(base)})"))
        out.print()


def sensitivity_command(
    scenario: Annotated[str, typer.Option(help="scenario")] = "base",
    out_dir: Annotated[Path | None, typer.Option(help="outputs folder (default: the project's "
                                                      "forecasts/)")]
    = None,
    data_dir: Annotated[Path | None, typer.Option(help="inputs folder (default: the project's "
                                                       "data/)")]
    = None,
    recompute: Annotated[bool, typer.Option(help="compute from the inputs even when the "
                                                 "published run holds the table")] = False,
    sobol_n: Annotated[int | None, typer.Option(help="Sobol base sample when computing "
                                                     "(power of 2; default as `chipcast run`)")]
    = None,
    seed: Annotated[int | None, typer.Option(help="random seed (default as `chipcast run`)")]
    = None,
    project: ProjectOption = None,
) -> None:
    """Tornado and Sobol indices of the headlines: from the published warehouse when the
    scenario's latest run stored them, else computed from data/ with the run's defaults."""
    from chipcast.config import DEFAULT_SEED, DEFAULT_SENSITIVITY_N
    from chipcast.inputs import load_inputs
    from chipcast.store.query import published_sensitivity
    from chipcast.uncertainty.sensitivity import sensitivity

    _, data_dir, out_dir = folders(project, data_dir, out_dir)
    stored = None if recompute else published_sensitivity(out_dir, scenario)
    if stored is not None:
        run_id, df = stored
        print(f"sensitivity of scenario {scenario}: from the published warehouse "
              f"({out_dir / 'chipcast.duckdb'}, run {run_id})")
    else:
        inputs = load_inputs(data_dir, scenario)
        n = sobol_n or DEFAULT_SENSITIVITY_N
        seed = seed if seed is not None else DEFAULT_SEED
        why = "as asked" if recompute else "no published run holds it"
        print(f"sensitivity of scenario {scenario}: computed from {data_dir} "
              f"({why}; Sobol n = {n}, seed {seed})", file=sys.stderr)
        df = sensitivity(inputs, n=n, seed=seed)
        if df.height == 0:
            print(f"scenario {scenario} has no uncertain input (every row is fixed): nothing "
                  "to rank. Try `chipcast goalseek` for fixed inputs.")
            return
    print_sensitivity(df)
