"""`chipcast backtest`: how the forecast fares against reported figures (actuals.csv or any
file in its format), per actual the P10/P50/P90 of exactly that quantity over the Monte Carlo
draws, optionally calibrated on the actuals published up to a month (out-of-sample score)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer

from chipcast.cli.format import console, number, table
from chipcast.cli.options import ProjectOption, folders
from chipcast.cli.run import Sampler, parse_month_option
from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED
from chipcast.errors import UsageError

ROW_KEYS = ("id", "quantity", "unit", "value", "low", "high", "p10", "p50", "p90", "inside",
            "ratio", "published", "fitted")


def register(app: typer.Typer) -> None:
    app.command(name="backtest")(backtest_command)


def _json_value(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def result_dict(study: Any, calibration: str) -> dict[str, Any]:
    """The back-test as one JSON-able object: `rows` (the scored actuals) and `coverage` (the
    share inside P10-P90), then what produced them."""
    from chipcast.uncertainty import backtest

    rows = study.rows(calibration)
    fitted = set(study.fitted)
    out_rows = [{k: _json_value(r.get(k, r["id"] in fitted if k == "fitted" else None))
                 for k in ROW_KEYS} for r in rows.iter_rows(named=True)]
    scored = ("out_of_sample" if calibration == "posterior" and study.fit_until is not None
              else "all")
    return {
        "rows": out_rows,
        "coverage": backtest.coverage(rows),
        "scenario": study.scenario,
        "calibration": calibration,
        "scored": scored,
        "draws": study.draws,
        "effective_sample_size": study.ess,
        "fit_until": None if study.fit_until is None else f"{study.fit_until:%Y-%m}",
        "fitted": sorted(fitted),
        "prior_coverage": backtest.coverage(study.prior),
    }


def _print(result: dict[str, Any]) -> None:
    out = console()
    cov = result["coverage"]
    title = (f"{result['scenario']}: {len(result['rows'])} actuals, {result['calibration']}"
             + (f" calibrated on {len(result['fitted'])} published by {result['fit_until']}"
                " (scored: the later ones)" if result["scored"] == "out_of_sample" else ""))
    rows = [[r["id"], r["quantity"], number(r["value"]), number(r["p10"]), number(r["p50"]),
             number(r["p90"]), "yes" if r["inside"] else "NO", f"{r['ratio']:.2f}"]
            for r in result["rows"]]
    out.print(table(["actual", "quantity", "reported", "P10", "P50", "P90", "inside",
                     "reported/P50"], rows, title=title))
    line = "coverage: no actual to score" if cov is None else \
        f"coverage: {cov:.0%} of the reported values inside P10-P90"
    if result["calibration"] == "posterior":
        line += (f" (prior {result['prior_coverage']:.0%}; {result['draws']:,} draws, "
                 f"{result['effective_sample_size']:,.0f} kept by the calibration)")
    out.print(line)


def backtest_command(
    scenario: Annotated[str, typer.Option(help="scenario")] = "base",
    actuals: Annotated[Path | None, typer.Option(
        "--actuals", exists=True, dir_okay=False, readable=True,
        help="a CSV in actuals.csv's format (default: the scenario's actuals.csv)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    calibrate: Annotated[bool, typer.Option(
        "--calibrate/--no-calibrate", help="rule out the draws the actuals contradict (all, or "
        "those published by --fit-until; history matching) and score the draws kept")] = False,
    fit_until: Annotated[str | None, typer.Option(
        help="YYYY-MM: calibrate on the actuals published by this month's end and score the "
        "later ones (out of sample; implies --calibrate)")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws (more are taken while a "
                                            "calibration keeps fewer than 200)")]
    = DEFAULT_DRAWS,
    seed: Annotated[int, typer.Option(help="random seed")] = DEFAULT_SEED,
    sampler: Annotated[Sampler, typer.Option(help="sampler")] = Sampler.sobol,  # type: ignore
    data_dir: Annotated[Path | None, typer.Option(help="inputs folder (default: the project's "
                                                       "data/)")] = None,
    project: ProjectOption = None,
) -> None:
    """Score the forecast against reported figures: P10/P50/P90 of each actual's quantity
    (a sum over one draw's months, then quantiles across draws), whether the reported value
    lies inside P10-P90, reported/P50, and the coverage. Exit 0 whatever the coverage."""
    if draws < 1:
        raise UsageError(f"--draws must be >= 1, got {draws}")
    cut = parse_month_option(fit_until, "--fit-until")
    # Imported here: a usage error must not pay for the model's and GX's imports.
    from chipcast.checks import validate_inputs
    from chipcast.contracts import TABLES
    from chipcast.inputs import load_inputs
    from chipcast.inputs.csvfile import read_table
    from chipcast.inputs.scenarios import available_scenarios
    from chipcast.uncertainty import backtest

    data_dir = folders(project, data_dir=data_dir, need=("data",))[1]
    known = available_scenarios(data_dir)
    if scenario not in known:
        raise UsageError(f"unknown scenario {scenario!r}: use one of {', '.join(known)}")
    inputs = load_inputs(data_dir, scenario)
    if actuals is not None:
        frame, record = read_table(actuals, TABLES["actuals"], str(actuals))
        files = [f for f in inputs.files if Path(f.path).name != "actuals.csv"] + [record]
        inputs = replace(inputs, actuals=frame, files=files)
    validate_inputs(inputs).raise_for_failure()  # a bad file: named rows, exit 1
    calibrated = calibrate or cut is not None
    err = console(stderr=True)
    source = actuals or "actuals.csv"
    how = f"calibrated by {cut:%Y-%m}" if cut else ("calibrated" if calibrated else "prior")
    with err.status(f"back-testing {scenario} against {source} ({draws:,} draws, {how})"
                    ) as status:
        def progress(done: int, total: int) -> None:
            status.update(f"back-testing {scenario}: {done:,} of {total:,} draws")

        study = backtest.study(inputs, inputs.actuals, draws=draws, seed=seed,
                               sampler=str(sampler), calibrate=calibrated, fit_until=cut,
                               progress=progress)
    if study.ess is not None and study.ess < backtest.ESS_FLOOR:
        print(f"warning: the calibration kept {study.ess:.0f} draws, under "
              f"{backtest.ESS_FLOOR:.0f}, even at {study.draws:,} draws: calibrated quantiles "
              "are noisy", file=sys.stderr)
    result = result_dict(study, "posterior" if calibrated else "prior")
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
