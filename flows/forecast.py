"""Forecast flow: checked inputs -> demand model (and Monte Carlo and sensitivity when
draws > 0) -> output checks -> forecast tables keyed by run_id.

Parameters are plain values; the flow reads the scenario's inputs itself and, given the
fingerprint the ingest flow returned, refuses inputs that changed in between."""

from __future__ import annotations

from pathlib import Path

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
from flows.common import stage
from flows.ingest import read_inputs, record_checks


@task(cache_policy=NO_CACHE)
def compute_forecast(inputs: Inputs, scenario: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deterministic forecast, long (month x scenario x firm x workload x sku x metric),
    and its headline rows."""
    frame, heads = deterministic(inputs)
    if set(frame["scenario"].unique()) != {scenario}:  # a wrong label would publish silently
        raise ValueError(f"the model labelled scenario {scenario!r} rows otherwise")
    return frame, heads


@task(cache_policy=NO_CACHE)
def compute_quantiles(inputs: Inputs, run_id: str, draws: int, seed: int, sampler: str
                      ) -> pl.DataFrame:
    """Monte Carlo quantiles and means per series, keyed by run_id (run_id, scenario, month,
    firm, workload, sku, metric, stat, quantile, value, unit)."""
    frame = forecast_quantiles(inputs, draws=draws, seed=seed, sampler=sampler)
    return frame.with_columns(pl.lit(run_id).alias("run_id"))


@task(cache_policy=NO_CACHE)
def compute_sensitivity(inputs: Inputs, n: int, seed: int) -> pl.DataFrame:
    """Tornado and Sobol indices of the headlines (grain scenario x headline x input x
    method); empty when the scenario has no uncertain input."""
    return sensitivity_rows(inputs, n=n, seed=seed)


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
) -> int:
    """Compute, check and store one scenario's outputs in the DuckDB file `database`; raises
    CheckFailed if a check fails. Returns the forecast rows written."""
    inputs = read_inputs(data_dir, scenario)
    if input_fingerprint is not None and fingerprint(inputs.files) != input_fingerprint:
        raise InputError(Problem(f"scenarios/{scenario}.yaml", "the input files changed while "
                                 "the run was reading them", hint="run again once nobody is "
                                 "editing data/"))
    reports: list[CheckReport] = []

    def checked(report: CheckReport, suite: str) -> None:
        """Keep a report (warehouse rows + GX JSON); failures raise once all are recorded."""
        record_checks(database, run_id, report,
                      str(Path(validation_dir) / f"{suite}-{scenario}.json"), scenario)
        reports.append(report)

    stage(f"[{scenario}] computing the deterministic forecast")
    frame, heads = compute_forecast(inputs, scenario)
    checked(check_forecast(frame), "forecast")
    quantiles = sensitivity = None
    if draws > 0:
        stage(f"[{scenario}] Monte Carlo: {draws} draws ({sampler}, seed {seed})")
        quantiles = compute_quantiles(inputs, run_id, draws, seed, sampler)
        checked(check_quantiles(quantiles), "quantiles")
        if sensitivity_n > 0:
            stage(f"[{scenario}] sensitivity: tornado and Sobol indices (n={sensitivity_n})")
            sensitivity = compute_sensitivity(inputs, sensitivity_n, seed)
            checked(check_sensitivity(sensitivity), "sensitivity")
    for report in reports:
        report.raise_for_failure()
    rows = write_outputs(database, run_id, frame, heads, quantiles, sensitivity)
    stage(f"[{scenario}] {rows:,} forecast rows passed the output checks")
    return rows
