"""Forecast flow: checked inputs -> demand model (and Monte Carlo and sensitivity when
draws > 0) -> output checks -> forecast tables keyed by run_id (in the run's private warehouse
copy)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast import warehouse
from chipcast.config import DEFAULT_SEED
from flows.common import stage
from flows.ingest import record_checks

if TYPE_CHECKING:
    from chipcast.checks import CheckReport
    from chipcast.inputs import Inputs


@task(cache_policy=NO_CACHE)
def compute_forecast(inputs: Inputs, scenario: str) -> pl.DataFrame:
    """The deterministic forecast, long (month x scenario x firm x workload x sku x metric)."""
    from chipcast.demand import forecast

    frame = forecast(inputs)
    if set(frame["scenario"].unique()) != {scenario}:  # a wrong label would publish silently
        raise ValueError(f"the model labelled scenario {scenario!r} rows otherwise")
    return frame


@task(cache_policy=NO_CACHE)
def compute_quantiles(
    inputs: Inputs, run_id: str, draws: int, seed: int, sampler: str
) -> pl.DataFrame:
    """Monte Carlo quantiles and means per series, keyed by run_id (run_id, scenario, month,
    firm, workload, sku, metric, stat, quantile, value, unit)."""
    from chipcast.montecarlo import forecast_quantiles

    frame = forecast_quantiles(inputs, draws=draws, seed=seed, sampler=sampler, progress=None)
    return frame.with_columns(pl.lit(run_id).alias("run_id"))


@task(cache_policy=NO_CACHE)
def compute_sensitivity(inputs: Inputs, n: int, seed: int) -> pl.DataFrame:
    """Tornado and Sobol indices of the headlines (grain scenario x headline x input x
    method); empty when the scenario has no uncertain input."""
    from chipcast.sensitivity import sensitivity

    return sensitivity(inputs, n=n, seed=seed)


@task(cache_policy=NO_CACHE)
def check_forecast(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the long forecast (no negatives, no gaps, one row per key...)."""
    from chipcast.checks import validate_forecast

    return validate_forecast(frame)


@task(cache_policy=NO_CACHE)
def check_quantiles(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the Monte Carlo summaries (quantiles ordered...)."""
    from chipcast.checks import validate_quantiles

    return validate_quantiles(frame)


@task(cache_policy=NO_CACHE)
def check_sensitivity(frame: pl.DataFrame) -> CheckReport:
    """Output contract of the sensitivity rows (keys, tornado swings, Sobol indices in range)."""
    from chipcast.checks import validate_sensitivity

    return validate_sensitivity(frame)


@task(cache_policy=NO_CACHE)
def write_outputs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    frame: pl.DataFrame,
    quantiles: pl.DataFrame | None,
    sensitivity: pl.DataFrame | None = None,
) -> int:
    """Append the checked outputs under run_id; returns forecast rows written."""
    rows = warehouse.write_forecast(con, run_id, frame)
    if quantiles is not None:
        warehouse.write_quantiles(con, run_id, quantiles)
    if sensitivity is not None:
        warehouse.write_sensitivity(con, run_id, sensitivity)
    return rows


@flow(name="chipcast-forecast", validate_parameters=False)
def forecast(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    scenario: str,
    inputs: Inputs,
    validation_dir: Path,
    draws: int = 0,
    seed: int = DEFAULT_SEED,
    sampler: str = "sobol",
    sensitivity_n: int = 0,
) -> int:
    """Compute, check and store one scenario's outputs; raises CheckFailed if a check fails.
    Returns the forecast rows written."""
    reports: list[CheckReport] = []

    def checked(report: CheckReport, suite: str) -> None:
        """Keep a report (warehouse rows + GX JSON); failures raise once all are recorded."""
        record_checks(con, run_id, report, Path(validation_dir) / f"{suite}-{scenario}.json")
        reports.append(report)

    stage(f"[{scenario}] computing the deterministic forecast")
    frame = compute_forecast(inputs, scenario)
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
    rows = write_outputs(con, run_id, frame, quantiles, sensitivity)
    stage(f"[{scenario}] {rows:,} forecast rows passed the output checks")
    return rows
