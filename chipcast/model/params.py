"""Every number in the numeric input tables as one parameter, and draws of them.

A parameter is one row of a numeric table (docs/architecture.md), named by its param id
`table:key1/key2:metric`. The model reads parameters only through a ParamSet: a mapping from
param id to an array of shape (n_draws,). The deterministic forecast is a ParamSet of one draw
holding each row's `value`; Monte Carlo, tornado and goal-seek fill the same mapping otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from chipcast.contracts import NUMERIC_TABLES
from chipcast.errors import InputError, Problem
from chipcast.model.distributions import DistributionError, frozen


def param_id(table: str, key: tuple[Any, ...] | list[Any], metric: str) -> str:
    """`table:key1/key2:metric`, e.g. `vendor_share:2026/NVIDIA:share`."""
    return f"{table}:{'/'.join(str(k) for k in key)}:{metric}"


def param_table(inputs: Any) -> pl.DataFrame:
    """One row per numeric input: param_id, table, key, metric, value, unit, dist, low, mode,
    high, source, _file, _row (where the row was read: file relative to data_dir, 1-based data
    row; null when the frame has none). Grain: one parameter."""
    frames = []
    for table, spec in NUMERIC_TABLES.items():
        keys = spec.keys
        df: pl.DataFrame = getattr(inputs, table)
        key_expr = (
            pl.concat_str([pl.col(k).cast(pl.Utf8) for k in keys], separator="/")
            if keys
            else pl.lit("")
        )
        frames.append(
            df.select(
                pl.lit(table).alias("table"),
                key_expr.alias("key"),
                pl.col("metric").cast(pl.Utf8),
                pl.col("value").cast(pl.Float64),
                pl.col("unit").cast(pl.Utf8),
                pl.col("dist").cast(pl.Utf8).fill_null("fixed"),
                *(pl.col(c).cast(pl.Float64) for c in ("low", "mode", "high")),
                pl.col("source").cast(pl.Utf8),
                *(pl.col(c).cast(t) if c in df.columns else pl.lit(None, t).alias(c)
                  for c, t in (("_file", pl.Utf8), ("_row", pl.Int64))),
            )
        )
    out = pl.concat(frames, how="vertical")
    return out.with_columns(
        (pl.col("table") + ":" + pl.col("key") + ":" + pl.col("metric")).alias("param_id")
    ).select("param_id", pl.exclude("param_id"))


@dataclass(frozen=True)
class Parameter:
    """One numeric input with its point value and (optional) frozen distribution."""

    param_id: str
    value: float
    unit: str
    dist: str
    law: Any | None  # frozen scipy.stats distribution, None when fixed
    source: str

    @property
    def uncertain(self) -> bool:
        return self.law is not None


def parameters(inputs: Any) -> dict[str, Parameter]:
    """All numeric inputs by param id, with frozen distributions built once.

    Raises InputError naming every row whose dist makes no distribution (the input checks
    reject these first; this is the guard for callers that skip them)."""
    out: dict[str, Parameter] = {}
    problems: list[Problem] = []
    for row in param_table(inputs).iter_rows(named=True):
        try:
            law = frozen(row["dist"], row["value"], row["low"], row["mode"], row["high"])
        except DistributionError as err:
            problems.append(_problem(row, err))
            continue
        out[row["param_id"]] = Parameter(
            row["param_id"], row["value"], row["unit"], row["dist"], law, row["source"]
        )
    if problems:
        raise InputError(problems)
    return out


def _problem(row: dict[str, Any], err: DistributionError) -> Problem:
    """The Problem for one param_table row whose distribution cannot be built."""
    shown = {"dist": row["dist"], "low": row["low"], "mode": row["mode"], "high": row["high"]}
    value = shown.get(err.column)
    return Problem(row["_file"] or f"{row['table']}.csv", f"{err.message} ({row['param_id']})",
                   hint=err.hint, row=row["_row"], column=err.column,
                   values=[] if value is None else [f"{value:g}" if isinstance(value, float)
                                                    else str(value)])


def _draws_view(value: np.ndarray | float, n_draws: int) -> np.ndarray:
    """A parameter's values as a read-only float64 (n_draws,) array: `value` itself when it is
    one already (e.g. a column of a read-only draw matrix, or a view DrawPlan built once per
    chunk size), else broadcast (a scalar or (1,) array to every draw). Same values either way;
    the check costs a tenth of a broadcast_to, which ran per parameter per chunk."""
    a = np.asarray(value, float)
    if a.shape == (n_draws,) and not a.flags.writeable:
        return a
    return np.broadcast_to(a, (n_draws,))


class ParamSet(Mapping[str, np.ndarray]):
    """Param id -> values of shape (n_draws,). Read-only mapping; `replace` makes a new set."""

    def __init__(self, values: Mapping[str, np.ndarray], n_draws: int):
        self._values = {k: _draws_view(v, n_draws) for k, v in values.items()}
        self.n_draws = n_draws

    def __getitem__(self, key: str) -> np.ndarray:
        try:
            return self._values[key]
        except KeyError:
            raise KeyError(f"no input row for parameter '{key}'") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def stack(self, ids: list[str]) -> np.ndarray:
        """Values of several parameters side by side: shape (n_draws, len(ids))."""
        if not ids:
            return np.zeros((self.n_draws, 0))
        return np.stack([self[i] for i in ids], axis=1)

    def with_values(self, updates: Mapping[str, np.ndarray | float]) -> ParamSet:
        """A copy with some parameters replaced (scalars broadcast over draws)."""
        merged = dict(self._values)
        for key, value in updates.items():
            if key not in merged:
                raise KeyError(f"no input row for parameter '{key}'")
            merged[key] = np.asarray(value, float)
        return ParamSet(merged, self.n_draws)


def point_params(params: Mapping[str, Parameter]) -> ParamSet:
    """The deterministic set: one draw holding each input's `value`."""
    return ParamSet({k: np.array([p.value]) for k, p in params.items()}, 1)
