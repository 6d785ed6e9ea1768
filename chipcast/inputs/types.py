"""What reading data/ produces: the typed frames of one resolved scenario (`Inputs`), its
settings and the files read. Column types come from chipcast.contracts (TABLES)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from chipcast.contracts import META_COLUMNS, TABLES, TableSpec
from chipcast.contracts.inputs import DATE, INTEGER, MONTH, NUMBER, TEXT_LIST

DEFAULT_START = date(2022, 1, 1)
DEFAULT_END = date(2030, 12, 1)
# The span a scenario's month grid (settings start, end, fit_until) may cover: the model's
# inputs (release dates, regimes, shares) describe 2015-2050, and a grid of 9999-12 would
# allocate draws x 95,000 months.
GRID_FIRST = date(2015, 1, 1)
GRID_LAST = date(2050, 12, 1)

_POLARS = {DATE: pl.Date(), MONTH: pl.Date(), NUMBER: pl.Float64(), INTEGER: pl.Int64(),
           TEXT_LIST: pl.List(pl.Utf8)}


def dtype(spec: TableSpec, column: str) -> pl.DataType:
    """The polars type of a column of an input table."""
    return _POLARS.get(spec.type_of(column), pl.Utf8())


def schema(spec: TableSpec) -> dict[str, pl.DataType]:
    """Every column of the table (optional ones and `_file`/`_row` included) with its type."""
    return {c: dtype(spec, c) for c in (*spec.all_columns, *META_COLUMNS)}


@dataclass(frozen=True)
class ScenarioSettings:
    """A scenario's name and run settings; start/end are first days of months (inclusive)."""

    name: str
    description: str = ""
    start: date = DEFAULT_START
    end: date = DEFAULT_END
    inference_mode: str = "compute"
    calibrate: bool = False  # condition the Monte Carlo on actuals.csv (chipcast.uncertainty)
    fit_until: date | None = None  # calibrate on actuals published up to this month's end


@dataclass(frozen=True)
class InputFile:
    """One file read: path relative to data_dir, its sha256 and its data rows."""

    path: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Inputs:
    """All input tables of one resolved scenario, typed (contracts.TABLES gives each schema)."""

    chips: pl.DataFrame
    chip_specs: pl.DataFrame
    vendor_share: pl.DataFrame
    firms: pl.DataFrame
    model_classes: pl.DataFrame
    model_releases: pl.DataFrame
    usage: pl.DataFrame
    fleet: pl.DataFrame
    compute_formulas: pl.DataFrame
    export_regimes: pl.DataFrame
    sku_mix: pl.DataFrame
    release_path: pl.DataFrame
    segments: pl.DataFrame
    segment_drivers: pl.DataFrame
    installed_base: pl.DataFrame
    correlations: pl.DataFrame
    actuals: pl.DataFrame
    settings: ScenarioSettings
    files: list[InputFile] = field(default_factory=list)

    @property
    def scenario(self) -> ScenarioSettings:
        """Alias of `settings` (the name used in docs/architecture.md)."""
        return self.settings

    def tables(self) -> dict[str, pl.DataFrame]:
        """Table name -> frame, in TABLES order (frames keep `_file` and `_row`)."""
        return {name: getattr(self, name) for name in TABLES}
