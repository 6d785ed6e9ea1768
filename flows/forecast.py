"""Forecast flow: checked inputs -> demand model (and Monte Carlo and sensitivity when
draws > 0) -> output checks -> forecast tables keyed by run_id.

Parameters are plain values; the flow reads the scenario's inputs itself and, given the
fingerprint the ingest flow returned, refuses inputs that changed in between.

Given a `cache_dir`, the Monte Carlo is cached on (input fingerprint, draws, seed, sampler,
code version) and the sensitivity on (input fingerprint, n, seed, code version): a re-run with
unchanged inputs loads them (flows/caching.py) and still checks and writes them under its own
run id. flows/simulate.py fills the same cache entries from Dask workers."""

from __future__ import annotations

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
from chipcast.config import DEFAULT_SEED
from chipcast.errors import InputError, Problem
from chipcast.inputs import Inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.model.outputs import deterministic
from chipcast.store import warehouse
from chipcast.uncertainty.montecarlo import forecast_quantiles, headline_quantiles
from chipcast.uncertainty.sensitivity import sensitivity as sensitivity_rows
from flows.caching import cached, key_fn
from flows.common import stage
from flows.ingest import read_inputs, record_checks

QUANTILES_KEY = key_fn("montecarlo", "draws", "seed", "sampler")
SENSITIVITY_KEY = key_fn("sensitivity", "n", "seed")


@task(cache_policy=NO_CACHE)
def compute_forecast(inputs: Inputs, scenario: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deterministic forecast, long (month x scenario x firm x workload x sku x metric),
    and its headline rows."""
    frame, heads = deterministic(inputs)
    if set(frame["scenario"].unique()) != {scenario}:  # a wrong label would publish silently
        raise ValueError(f"the model labelled scenario {scenario!r} rows otherwise")
    return frame, heads


@task(cache_policy=NO_CACHE)
def compute_quantiles(inputs: Inputs, scenario: str, input_fingerprint: str, draws: int,
                      seed: int, sampler: str) -> pl.DataFrame:
    """Monte Carlo quantiles and means per series (scenario, month, firm, workload, sku,
    metric, stat, quantile, value, unit); the caller adds run_id, so a cached frame serves any
    run."""
    return forecast_quantiles(inputs, draws=draws, seed=seed, sampler=sampler)


@task(cache_policy=NO_CACHE)
def compute_sensitivity(inputs: Inputs, scenario: str, input_fingerprint: str, n: int,
                        seed: int) -> pl.DataFrame:
    """Tornado and Sobol indices of the headlines (grain scenario x headline x input x
    method); empty when the scenario has no uncertain input."""
    return sensitivity_rows(inputs, n=n, seed=seed)


def _stage_result(scenario: str, what: str, state: Any) -> Any:
    """The task's result, with a stage line when it came from the cache."""
    if state.name == "Cached":
        stage(f"[{scenario}] {what}: loaded from the cache (inputs and settings unchanged)")
    return state.result()


@task(cache_policy=NO_CACHE)
def check_forecast(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the long forecast (no negatives, no gaps, one row per key...)."""
    return validate_forecast(frame)


@task(cache_policy=NO_CACHE)
def check_quantiles(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the Monte Carlo summaries (quantiles ordered...)."""
    return validate_quantiles(frame)


@task(cache_policy=NO_CACHE)
def check_sensitivity(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the sensitivity rows (keys, tornado swings, Sobol indices in range)."""
    return validate_sensitivity(frame)


@task(cache_policy=NO_CACHE)
def write_outputs(database: str, run_id: str, frame: pl.DataFrame, heads: pl.DataFrame,
                  quantiles: pl.DataFrame | None, sensitivity: pl.DataFrame | None) -> int:
    """Append the checked outputs under run_id; returns forecast rows written."""
    with duckdb.connect(database) as con:
        warehouse.create_schema(con)
        rows = warehouse.write_forecast(con, run_id, frame)
        warehouse.write_headlines(con, run_id, heads)
        if quantiles is not None:
            warehouse.write_quantiles(con, run_id, quantiles)
            warehouse.write_headlines(con, run_id, headline_quantiles(quantiles))
        if sensitivity is not None:
            warehouse.write_sensitivity(con, run_id, sensitivity)
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
    sensitivity_n: int = 0,
    cache_dir: str | None = None,
) -> int:
    """Compute, check and store one scenario's outputs in the DuckDB file `database`; raises
    CheckFailed if a check fails. Returns the forecast rows written. `cache_dir`: where
    cached Monte Carlo and sensitivity results live (None: always compute)."""
    inputs = read_inputs(data_dir, scenario)
    read_print = fingerprint(inputs.files)
    if input_fingerprint is not None and read_print != input_fingerprint:
        raise InputError(Problem(f"scenarios/{scenario}.yaml", "the input files changed while "
                                 "the run was reading them", hint="run again once nobody is "
                                 "editing data/"))
    reports: list[CheckReport] = []

    def checked(report: CheckReport, suite: str) -> None:
        """Keep a report (warehouse rows + GX JSON); failures raise once all are recorded."""
        record_checks(database, run_id, report,
                      str(Path(validation_dir) / f"{suite}-{scenario}.json"))
        reports.append(report)

    stage(f"[{scenario}] computing the deterministic forecast")
    frame, heads = compute_forecast(inputs, scenario)
    checked(check_forecast(frame), "forecast")
    quantiles = sensitivity = None
    if draws > 0:
        stage(f"[{scenario}] Monte Carlo: {draws} draws ({sampler}, seed {seed})")
        quantiles = _stage_result(scenario, "Monte Carlo", cached(
            compute_quantiles, cache_dir, QUANTILES_KEY)(
            inputs, scenario, read_print, draws, seed, sampler, return_state=True)
        ).with_columns(pl.lit(run_id).alias("run_id"))
        checked(check_quantiles(quantiles), "quantiles")
        if sensitivity_n > 0:
            stage(f"[{scenario}] sensitivity: tornado and Sobol indices (n={sensitivity_n})")
            sensitivity = _stage_result(scenario, "sensitivity", cached(
                compute_sensitivity, cache_dir, SENSITIVITY_KEY)(
                inputs, scenario, read_print, sensitivity_n, seed, return_state=True))
            checked(check_sensitivity(sensitivity), "sensitivity")
    for report in reports:
        report.raise_for_failure()
    rows = write_outputs(database, run_id, frame, heads, quantiles, sensitivity)
    stage(f"[{scenario}] {rows:,} forecast rows passed the output checks")
    return rows
