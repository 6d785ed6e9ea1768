"""Great Expectations data contracts (one module per table).

`validate_inputs`, `validate_forecast`, `validate_quantiles` and `validate_sensitivity` build
each table's check frames (suite modules in this package), run them as GX suites and return a
CheckReport. GX itself is imported lazily by `chipcast.checks.engine` when a suite first runs.
"""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, CheckReport, SuiteResult, run_checks
from chipcast.inputs import Inputs

INPUT_SUITES = ("chips", "chip_specs", "vendor_share", "firms", "model_classes",
                "model_releases", "usage", "fleet", "compute_formulas", "export_regimes",
                "correlations")


def input_checks(inputs: Inputs) -> list[CheckFrame]:
    """Every input table's check frames, in INPUT_SUITES order."""
    import importlib

    frames: list[CheckFrame] = []
    for name in INPUT_SUITES:
        frames += importlib.import_module(f"chipcast.checks.{name}").checks(inputs)
    return frames


def validate_inputs(inputs: Inputs) -> CheckReport:
    """Run the input suites (one SuiteResult per check frame)."""
    return run_checks(input_checks(inputs))


def validate_forecast(df: pl.DataFrame) -> CheckReport:
    """Run the `forecast` (long deterministic) suites."""
    from chipcast.checks import forecast

    return run_checks(forecast.checks(df))


def validate_quantiles(df: pl.DataFrame) -> CheckReport:
    """Run the `forecast_quantiles` (Monte Carlo summary) suites."""
    from chipcast.checks import forecast_quantiles

    return run_checks(forecast_quantiles.checks(df))


def validate_sensitivity(df: pl.DataFrame) -> CheckReport:
    """Run the `sensitivity` (tornado and Sobol rows) suites."""
    from chipcast.checks import sensitivity

    return run_checks(sensitivity.checks(df))


__all__ = ["CheckReport", "SuiteResult", "validate_forecast", "validate_inputs",
           "validate_quantiles", "validate_sensitivity"]
