"""`chipcast run`: build the RunConfig, start the pipeline flow, print a short summary."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any

import typer

from chipcast.cli.failures import classify
from chipcast.cli.format import number
from chipcast.cli.options import ProjectOption, folders
from chipcast.config import DEFAULT_DRAWS, SENSITIVITY_MODES
from chipcast.contracts import HEADLINES, SAMPLERS, SEED_CLAIM, SEED_SCENARIO
from chipcast.errors import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    ChipcastError,
    UsageError,
    WarehouseLocked,
)

MAX_SEED = 2**63 - 1  # the warehouse stores the seed as BIGINT

Sampler = StrEnum("Sampler", {s: s for s in SAMPLERS})  # type: ignore[misc]
Sensitivity = StrEnum("Sensitivity", {s: s for s in SENSITIVITY_MODES})  # type: ignore[misc]
QUERY_HINT = "SELECT * FROM mart_scenario_comparison"


def register(app: typer.Typer) -> None:
    app.command(name="run")(run_command)


def parse_month_option(text: str | None, option: str) -> date | None:
    """A YYYY-MM option as the first day of the month (UsageError otherwise)."""
    if text is None:
        return None
    from chipcast.inputs.cells import CellError, parse_month

    try:
        return parse_month(text)
    except CellError as exc:
        raise UsageError(f"{option} {text!r}: {exc.message}; {exc.hint}") from None


def seed_claim_line(peak_units: float | None) -> str:
    """Whether the seed world's own inputs reach the article's "> 2 million A100s"."""
    if not peak_units:
        return "  the article's > 2 million: no installed units to compare"
    if peak_units > SEED_CLAIM:
        return f"  the article's > 2 million A100s: reached ({number(peak_units)})"
    return (
        f"  the article's > 2 million A100s needs more than its stated inputs: they give "
        f"{number(peak_units)}, x{SEED_CLAIM / peak_units:.2f} short (see `chipcast goalseek "
        f"--target 2e6 --metric peak_installed_units --scenario {SEED_SCENARIO}`)"
    )


def format_summary(summary: Any) -> str:
    """The lines `chipcast run` prints after a published run: each scenario's headlines (their
    labels and units from chipcast.contracts.HEADLINES) and where the outputs are."""
    done = ("unchanged (inputs, settings and code as when it was published; nothing new "
            "published)" if getattr(summary, "unchanged", False) else "published")
    lines = [
        f"run {summary.run_id} {done}: scenarios {', '.join(summary.scenarios)}",
        "forecast rows: " + ", ".join(f"{s} {n:,}" for s, n in summary.rows.items()),
    ]
    for row in summary.comparison:
        if row["scenario"] not in summary.scenarios:
            continue  # an earlier run's scenario, still in the marts
        basis = row.get("point_basis") or "deterministic"
        what = {"deterministic": "every input at its point value (no draws)",
                "p50": "the median of the Monte Carlo draws"
                + (" kept by the calibration on actuals.csv"
                   if row.get("calibration") == "posterior" else "")}.get(basis, basis)
        lines.append(f"[{row['scenario']}] point forecast: {what}"
                     + ("" if basis == "deterministic" else
                        "; (deterministic: every input at its point value)"))
        for name, h in HEADLINES.items():
            extra = f" (deterministic peak {row['peak_month']:%Y-%m})" if (
                name == "peak_installed_units" and row.get("peak_month")) else ""
            det = row.get(f"{name}_deterministic")
            also = "" if basis == "deterministic" else f" (deterministic {number(det)})"
            lines.append(f"  {h.label}: {number(row.get(name))} {h.unit}{also}{extra}")
        if row["scenario"] == SEED_SCENARIO:
            lines.append(seed_claim_line(row.get("peak_installed_units_deterministic")))
    lines += [
        f"warehouse: {summary.database}",
        f"  try:     chipcast query {QUERY_HINT!r}",
        f"parquet:   {summary.exports}",
        f"checks:    {summary.validation}",
        f"report:    {summary.report}",
    ]
    return "\n".join(lines)


def run_command(
    scenarios: Annotated[list[str] | None, typer.Option(
        "--scenario", help="scenario (repeatable; default: the project's run scenarios, "
        "else every scenario in data/scenarios/)")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="inputs folder (default: the "
                                                       "project's data/)")]
    = None,
    out_dir: Annotated[Path | None, typer.Option(help="outputs folder (default: the "
                                                      "project's forecasts/)")]
    = None,
    draws: Annotated[int | None, typer.Option(min=0, help="Monte Carlo draws per scenario "
                                                          f"(default {DEFAULT_DRAWS}; 0 = "
                                                          "deterministic only)")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=MAX_SEED,
                                             help="random seed (default 20231)")] = None,
    sampler: Annotated[Sampler | None, typer.Option(help="how inputs are drawn "
                                                         "(default sobol)")] = None,
    sensitivity: Annotated[Sensitivity, typer.Option(
        help="given: indices from the Monte Carlo's own draws (no extra model runs); full: "
        "also Saltelli-Sobol total indices; off")] = Sensitivity.given,
    sensitivity_n: Annotated[int | None, typer.Option(
        help="Sobol base sample of --sensitivity full (power of 2; default 512)")] = None,
    calibrate: Annotated[bool | None, typer.Option(
        "--calibrate/--no-calibrate", help="rule out the Monte Carlo draws the reported "
        "figures of actuals.csv contradict (history matching; default: each scenario's "
        "setting)")] = None,
    fit_until: Annotated[str | None, typer.Option(
        help="calibrate on the actuals published by this month's end, YYYY-MM (default: all)")]
    = None,
    dask: Annotated[str | None, typer.Option(
        help="run the Monte Carlo and sensitivity on Dask: 'local' (a 2-worker LocalCluster) "
        "or a scheduler address tcp://host:port")] = None,
    wait: Annotated[float, typer.Option(
        min=0, help="seconds to wait when another run is writing the outputs (then exit 3)")]
    = 0.0,
    cache: Annotated[bool, typer.Option(
        help="reuse cached input checks, Monte Carlo and sensitivity from forecasts/.cache "
        "when inputs, settings and code are unchanged")] = True,
    project: ProjectOption = None,
) -> None:
    """Run the pipeline: ingest, check, forecast, publish. Exit 0 published, 1 input or check
    failure (nothing published), 2 usage error, 3 warehouse locked by another run, 4 the
    environment refused (disk full, read-only folder, Prefect unreachable, damaged warehouse),
    130 interrupted (Ctrl-C or SIGTERM: stops within 5 s, private files removed)."""
    from chipcast.cli.interrupt import interruptible
    from chipcast.config import RunConfig, check_dask
    from chipcast.inputs import available_scenarios

    found, data, out = folders(project, data_dir, out_dir)
    args = SimpleNamespace(scenarios=scenarios or None, data_dir=data, out_dir=out,
                           draws=draws, seed=seed,
                           sampler=sampler.value if sampler else None,
                           sensitivity_n=sensitivity_n)
    config = RunConfig.from_sources(args, shipped=available_scenarios, project=found)
    config = replace(config, sensitivity=sensitivity.value, calibrate=calibrate,
                     fit_until=parse_month_option(fit_until, "--fit-until"))
    check_dask(dask)
    check_seed(config.seed)
    seen = None
    try:
        with interruptible() as seen:
            summary = _run(config, dask, wait, cache)
    except BaseException as exc:
        if isinstance(exc, Exception) and not (seen and seen.signalled):
            known = classify(exc)
            if known is None:
                raise  # a bug: chipcast.cli.main prints one line (--debug: the traceback)
            _explain(known)
        if isinstance(exc, typer.Exit | SystemExit):
            raise
        # Ctrl-C or SIGTERM (as KeyboardInterrupt, Prefect's TerminationSignal, or whatever a
        # library turned the interrupt into)
        print("run interrupted: its private files were removed and its lock released; the "
              "published outputs are the previous run's (or this run's if it had committed: "
              "see runs.log)", file=sys.stderr)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    print(format_summary(summary))


def check_seed(seed: int) -> None:
    """A seed from CHIPCAST_SEED or chipcast.toml is checked as --seed is (exit 2 at once)."""
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be between 0 and {MAX_SEED}, got {seed}")


def _run(config: Any, dask: str | None, wait: float, cache: bool) -> Any:
    # Imported here: the CLI's start-up stays light for commands that never take a lock.
    from chipcast.store.lock import WarehouseLock
    from chipcast.store.runslog import record_locked

    try:
        # The lock is taken before Prefect starts and held for the whole run; the flow, in
        # this process, joins it (share=True). A second writer waits `wait` s, then exits 3.
        lock = WarehouseLock(config.out_dir, wait=wait, share=True).acquire()
    except WarehouseLocked as exc:
        record_locked(config.out_dir, exc, {"scenarios": list(config.scenarios),
                                            "config": config.to_json()})
        raise
    try:
        # Imported here: importing Prefect costs seconds; usage errors and a held lock
        # above are answered before that.
        from flows.server import run_server

        with run_server(meanwhile=_warm_up):
            from flows.pipeline import pipeline

            return pipeline(
                scenarios=list(config.scenarios), data_dir=str(config.data_dir),
                out_dir=str(config.out_dir), draws=config.draws, seed=config.seed,
                sampler=config.sampler, sensitivity_n=config.sensitivity_n,
                sensitivity=config.sensitivity, calibrate=config.calibrate,
                fit_until=config.fit_until, dask=dask, cache=cache,
            )
    finally:
        lock.release()


def _warm_up() -> None:
    """What a run loads anyway (the flows, the model, Great Expectations' ~5 s), loaded while
    the temporary Prefect server boots in its own process (flows.server.run_server)."""
    from chipcast.checks.engine import prepare
    from flows.common import quiet_data_error_tracebacks
    from flows.pipeline import pipeline  # noqa: F401 - imported for its cost, here

    quiet_data_error_tracebacks()
    prepare()


def _explain(exc: ChipcastError) -> None:
    """Print why the run failed (one line or a problem list) and exit with its code."""
    problems = getattr(exc, "problems", None)
    print(f"run failed ({type(exc).__name__}); nothing was published.", file=sys.stderr)
    if problems:
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
    else:
        print(f"  {exc}", file=sys.stderr)
    raise typer.Exit(exc.exit_code or EXIT_DATA) from None
