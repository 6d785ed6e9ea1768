"""Great Expectations data contracts (one module per table).

`validate_inputs`, `validate_forecast`, `validate_quantiles` and `validate_sensitivity` build
each table's check frames (suite modules in this package), run them as GX suites and return a
CheckReport. GX itself is imported lazily by `chipcast.checks.engine` when a suite first runs
(it costs ~5 s), so importing this package is cheap.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from chipcast.checks import (
    actuals,
    chip_specs,
    chips,
    compute_formulas,
    correlations,
    export_regimes,
    firms,
    fleet,
    forecast,
    forecast_quantiles,
    installed_base,
    model_classes,
    model_releases,
    release_path,
    segments,
    sensitivity,
    sku_mix,
    usage,
    vendor_share,
)
from chipcast.checks.engine import CheckFrame, CheckReport, SuiteResult, run_checks
from chipcast.inputs import Inputs

# input table -> its suite builder, in the order suites run
INPUT_SUITES: dict[str, Callable[[Inputs], list[CheckFrame]]] = {
    "chips": chips.checks,
    "chip_specs": chip_specs.checks,
    "vendor_share": vendor_share.checks,
    "firms": firms.checks,
    "model_classes": model_classes.checks,
    "model_releases": model_releases.checks,
    "usage": usage.checks,
    "fleet": fleet.checks,
    "compute_formulas": compute_formulas.checks,
    "export_regimes": export_regimes.checks,
    "sku_mix": sku_mix.checks,
    "release_path": release_path.checks,
    "segments": segments.checks,
    "installed_base": installed_base.checks,
    "correlations": correlations.checks,
    "actuals": actuals.checks,
}


def input_checks(inputs: Inputs) -> list[CheckFrame]:
    """Every input table's check frames, in INPUT_SUITES order."""
    return [frame for build in INPUT_SUITES.values() for frame in build(inputs)]


def validate_inputs(inputs: Inputs) -> CheckReport:
    """Run the input suites (one SuiteResult per check frame)."""
    return run_checks(input_checks(inputs))


def validate_forecast(df: pl.DataFrame) -> CheckReport:
    """Run the `forecast` (long deterministic) suites."""
    return run_checks(forecast.checks(df))


def validate_quantiles(df: pl.DataFrame) -> CheckReport:
    """Run the `forecast_quantiles` (Monte Carlo summary) suites."""
    return run_checks(forecast_quantiles.checks(df))


def validate_sensitivity(df: pl.DataFrame) -> CheckReport:
    """Run the `sensitivity` (tornado and Sobol rows) suites."""
    return run_checks(sensitivity.checks(df))


__all__ = ["INPUT_SUITES", "CheckReport", "SuiteResult", "input_checks", "validate_forecast",
           "validate_inputs", "validate_quantiles", "validate_sensitivity"]
