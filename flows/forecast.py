"""Forecast flow: checked inputs -> demand model (and, when draws > 0, the Monte Carlo with its
back-test against actuals.csv, an optional calibration, and sensitivity) -> output checks ->
forecast tables keyed by run_id.

Parameters are plain values; the flow reads the scenario's inputs itself and, given the
fingerprint the ingest flow returned, refuses inputs that changed in between.

Given a `cache_dir`, the Monte Carlo is cached on (input fingerprint, draws, seed, sampler,
code version) and the sensitivity on (input fingerprint, n, seed, code version): a re-run with
unchanged inputs loads them (flows/caching.py) and still checks and writes them under its own
run id. flows/simulate.py fills the same cache entries from Dask workers."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.checks import (
    CheckReport,
    validate_forecast,
    validate_quantiles,
    validate_sensitivity,
)
from chipcast.config import DEFAULT_SEED, DEFAULT_SENSITIVITY_N
from chipcast.errors import InputError, Problem
from chipcast.inputs import Inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.model.outputs import deterministic
from chipcast.model.structure import compile_structure
from chipcast.store import warehouse
from chipcast.uncertainty import backtest
from chipcast.uncertainty.montecarlo import Actuals, MonteCarlo, headline_quantiles, run_monte_carlo
from chipcast.uncertainty.sensitivity import given_data, sobol, tornado
from flows.caching import cached, key_fn
from flows.common import stage
from flows.ingest import read_inputs, record_reports

MONTE_CARLO_KEY = key_fn("montecarlo", "draws", "seed", "sampler", "calibrate", "fit_until")
SENSITIVITY_KEY = key_fn("sensitivity", "mode", "n", "seed", "draws", "sampler")


def calibration(inputs: Inputs, calibrate: bool | None, fit_until: date | None
                ) -> tuple[bool, date | None]:
    """The run's calibrate/fit_until where given, else the scenario's settings."""
    return (inputs.settings.calibrate if calibrate is None else calibrate,
            fit_until or inputs.settings.fit_until)


@task(cache_policy=NO_CACHE, task_run_name="compute_forecast[{scenario}]")
def compute_forecast(inputs: Inputs, scenario: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deterministic forecast (the published series at every input's point value) and its
    headline rows."""
    frame, heads = deterministic(inputs)
    if set(frame["scenario"].unique()) != {scenario}:  # a wrong label would publish silently
        raise ValueError(f"the model labelled scenario {scenario!r} rows otherwise")
    return frame, heads


@task(cache_policy=NO_CACHE, task_run_name="compute_monte_carlo[{scenario}]")
def compute_monte_carlo(inputs: Inputs, scenario: str, input_fingerprint: str, draws: int,
                        seed: int, sampler: str, calibrate: bool, fit_until: date | None
                        ) -> MonteCarlo:
    """Monte Carlo summaries of the scenario's series, each draw scored against actuals.csv;
    with `calibrate` also the calibrated (posterior) summaries. While the calibration keeps
    fewer draws than the floor, more are taken (chipcast.uncertainty.backtest.more_draws);
    InputError when every draw is ruled out. The caller adds run_id, so a cached result serves
    any run."""
    return monte_carlo(inputs, draws, seed, sampler, calibrate, fit_until)


def monte_carlo(inputs: Inputs, draws: int, seed: int, sampler: str, calibrate: bool,
                fit_until: date | None) -> MonteCarlo:
    """compute_monte_carlo's work, callable outside a flow (flows/simulate.py's workers)."""
    targets = backtest.targets(compile_structure(inputs), inputs.actuals)
    fit = backtest.fitted_targets(targets, fit_until)
    actuals = Actuals(targets, calibrate and bool(fit), tuple(t.id for t in fit))
    mc = run_monte_carlo(inputs, draws, seed, sampler, actuals=actuals)
    while (n := backtest.more_draws(mc.ess, mc.draws, draws)) is not None:
        stage(f"[{inputs.settings.name}] calibration kept {mc.ess:.0f} draws "
              f"(< {backtest.ESS_FLOOR:.0f}); taking {n} draws")
        mc = run_monte_carlo(inputs, n, seed, sampler, actuals=actuals)
    if mc.ess == 0:
        idx = actuals.fit_index
        raise backtest.no_plausible_draw(mc.actual_values[:, idx], [targets[i] for i in idx],
                                         actuals.discrepancy, inputs.settings.name)
    if mc.ess is not None and mc.ess < backtest.ESS_FLOOR:
        stage(f"[{inputs.settings.name}] warning: the calibration kept only {mc.ess:.0f} of "
              f"{mc.draws:,} draws: calibrated quantiles are noisy")
    return mc


@task(cache_policy=NO_CACHE)
def backtest_rows(inputs: Inputs, mc: MonteCarlo, fit_until: date | None) -> pl.DataFrame:
    """The back-test of the Monte Carlo's own draws: one row per actual under the prior and,
    when calibrated, under the calibration (sql/schema/backtest.sql columns, run_id added on
    write)."""
    targets = backtest.targets(compile_structure(inputs), inputs.actuals)
    if not targets or mc.actual_values is None:
        return pl.DataFrame()
    fitted = {t.id for t in backtest.fitted_targets(targets, fit_until)}
    frames = []
    for calibration, weights in (("prior", None), ("posterior", mc.weights)):
        if calibration == "posterior" and weights is None:
            continue
        rows = backtest.score(targets, mc.actual_values, weights)
        frames.append(rows.with_columns(
            pl.lit(inputs.settings.name).alias("scenario"), pl.lit(calibration).alias(
                "calibration"), pl.col("id").is_in(sorted(fitted)).alias("fitted")
            if calibration == "posterior" else pl.lit(False).alias("fitted"),
            pl.lit(backtest.cutoff(fit_until), pl.Date).alias("fit_until"),
            pl.lit(mc.draws).alias("draws"),
            pl.lit(mc.ess if calibration == "posterior" else None, pl.Float64).alias("ess")))
    return pl.concat(frames)


@task(cache_policy=NO_CACHE, task_run_name="compute_sensitivity[{scenario}]")
def compute_sensitivity(inputs: Inputs, scenario: str, input_fingerprint: str, mode: str,
                        n: int, seed: int, draws: int, sampler: str, mc: MonteCarlo
                        ) -> pl.DataFrame:
    """Sensitivity of the headlines (grain scenario x headline x input x method); the cache
    key holds the Monte Carlo's settings, whose draws the given-data indices read."""
    return sensitivity_frame(inputs, mc, mode, n, seed)


def sensitivity_frame(inputs: Inputs, mc: MonteCarlo, mode: str, n: int, seed: int
                      ) -> pl.DataFrame:
    """The tornado (1 + 2d model runs) and given-data indices from the Monte Carlo's own
    draws; `full` adds Saltelli-Sobol total indices (n x (d + 2) model runs). Empty with no
    uncertain input."""
    st = compile_structure(inputs)
    frames = [tornado(inputs, st),
              given_data(st.scenario, mc.inputs, mc.input_ids, mc.headlines, seed)]
    if mode == "full" and n > 0:
        frames.append(sobol(inputs, n=n, seed=seed, structure=st))
    return pl.concat(frames, how="vertical")


def _stage_result(scenario: str, what: str, state: Any) -> Any:
    """The task's result, with a stage line when it came from the cache."""
    if state.name == "Cached":
        stage(f"[{scenario}] {what}: loaded from the cache (inputs and settings unchanged)")
    return state.result()


# The output contracts, in the order their reports are kept: suite name -> validation.
OUTPUT_CHECKS = {"forecast": validate_forecast, "quantiles": validate_quantiles,
                 "sensitivity": validate_sensitivity}


@task(cache_policy=NO_CACHE, task_run_name="check_outputs[{scenario}]")
def check_outputs(database: str, run_id: str, validation_dir: str, scenario: str,
                  frames: dict[str, pl.DataFrame]) -> list[CheckReport]:
    """Run the output contracts of a scenario's tables (`frames`: OUTPUT_CHECKS name -> frame:
    the long forecast, the Monte Carlo summaries, the sensitivity rows) and keep every report
    (record_reports: warehouse rows, GX JSON `<suite>-<scenario>.json`, Data Docs); then raise
    CheckFailed for the first that failed. One task for all of them: a task costs state round
    trips on the Prefect server, and these are fast."""
    reports = {name: OUTPUT_CHECKS[name](frame) for name, frame in frames.items()}
    record_reports(database, run_id, {
        str(Path(validation_dir) / f"{name}-{scenario}.json"): report
        for name, report in reports.items()}, scenario)
    for report in reports.values():
        report.raise_for_failure()
    return list(reports.values())


@task(cache_policy=NO_CACHE)
def write_outputs(database: str, run_id: str, frame: pl.DataFrame, heads: pl.DataFrame,
                  quantiles: pl.DataFrame | None, sensitivity: pl.DataFrame | None,
                  scores: pl.DataFrame | None) -> int:
    """Append the checked outputs under run_id; returns forecast rows written."""
    with duckdb.connect(database) as con:
        warehouse.create_schema(con)
        rows = warehouse.write_forecast(con, run_id, frame)
        warehouse.write_headlines(con, run_id, heads)
        if quantiles is not None:
            headline_rows = headline_quantiles(quantiles)
            warehouse.write_quantiles(con, run_id, quantiles.join(
                headline_rows.select(pl.col("headline").alias("metric")).unique(),
                on="metric", how="anti"))
            warehouse.write_headlines(con, run_id, headline_rows)
        if sensitivity is not None:
            warehouse.write_sensitivity(con, run_id, sensitivity)
        if scores is not None and scores.height:
            warehouse.write_backtest(con, run_id, scores)
    return rows


@flow(name="chipcast-forecast")
def forecast(
    database: str,
    run_id: str,
    scenario: str,
    data_dir: str,
    validation_dir: str,
    input_fingerprint: str | None = None,
    draws: int = 0,
    seed: int = DEFAULT_SEED,
    sampler: str = "sobol",
    sensitivity: str = "given",
    sensitivity_n: int = DEFAULT_SENSITIVITY_N,
    calibrate: bool | None = None,
    fit_until: date | None = None,
    cache_dir: str | None = None,
) -> int:
    """Compute, check and store one scenario's outputs in the DuckDB file `database`; raises
    CheckFailed if a check fails. `calibrate`/`fit_until` None: the scenario's own settings.
    `cache_dir`: where cached Monte Carlo and sensitivity results live (None: always compute).
    Returns the forecast rows written."""
    inputs = read_inputs(data_dir, scenario)
    read_print = fingerprint(inputs.files)
    if input_fingerprint is not None and read_print != input_fingerprint:
        raise InputError(Problem(f"scenarios/{scenario}.yaml", "the input files changed while "
                                 "the run was reading them", hint="run again once nobody is "
                                 "editing data/"))
    calibrate, fit_until = calibration(inputs, calibrate, fit_until)
    stage(f"[{scenario}] computing the deterministic forecast")
    frame, heads = compute_forecast(inputs, scenario)
    checks = {"forecast": frame}
    quantiles = sens = scores = None
    if draws > 0:
        how = "calibrated on actuals.csv" if calibrate else "prior"
        stage(f"[{scenario}] Monte Carlo: {draws} draws ({sampler}, seed {seed}; {how})")
        mc = _stage_result(scenario, "Monte Carlo", cached(
            compute_monte_carlo, cache_dir, MONTE_CARLO_KEY)(
            inputs, scenario, read_print, draws, seed, sampler, calibrate, fit_until,
            return_state=True))
        quantiles = mc.quantiles.with_columns(pl.lit(run_id).alias("run_id"))
        checks["quantiles"] = quantiles
        scores = backtest_rows(inputs, mc, fit_until)
        if scores.height:
            inside = scores.filter(pl.col("calibration") == "prior")["inside"].mean()
            stage(f"[{scenario}] back-test: {inside:.0%} of {scores['id'].n_unique()} "
                  "actuals inside the prior P10-P90")
        if sensitivity != "off":
            stage(f"[{scenario}] sensitivity ({sensitivity})")
            sens = _stage_result(scenario, "sensitivity", cached(
                compute_sensitivity, cache_dir, SENSITIVITY_KEY)(
                inputs, scenario, read_print, sensitivity, sensitivity_n, seed, mc.draws,
                sampler, mc, return_state=True))
            checks["sensitivity"] = sens
    check_outputs(database, run_id, validation_dir, scenario, checks)
    rows = write_outputs(database, run_id, frame, heads, quantiles, sens, scores)
    stage(f"[{scenario}] {rows:,} forecast rows passed the output checks")
    return rows
