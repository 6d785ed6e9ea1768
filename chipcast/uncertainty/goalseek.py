"""Goal-seek: for each single input, the value that makes a headline metric reach a target.

Every other input stays at its point value. The search range of an input with a distribution is
[ppf(0.001), ppf(0.999)]; a fixed input (the seed-2023 scenario fixes the article's inputs) is
searched over a wide multiplicative bracket [value / 100, value x 100] (FIXED_FACTOR; a fraction
stops at 1), and the output says which range was used. The metric is first evaluated on a grid
over the range (one vectorised model call for all inputs); the crossing nearest the current
value is then refined with `scipy.optimize.brentq` (xtol relative 1e-9). An input whose range
has no crossing is "unreachable within its range"; one that does not move the metric at all has
"no effect".
`fleet::reference_tflops` is the A100-equivalent's definition, not an assumption: it is skipped.

This answers what the founding article's "> 2 million A100s" silently assumed:
`chipcast goalseek --target 2e6 --metric peak_installed_units --scenario seed-2023`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import polars as pl
from scipy.optimize import brentq

from chipcast.contracts import HEADLINES
from chipcast.errors import UsageError
from chipcast.inputs import Inputs
from chipcast.model.demand import simulate
from chipcast.model.params import Parameter, ParamSet, parameters
from chipcast.model.series import headlines
from chipcast.model.structure import Structure, compile_structure

METRICS = tuple(HEADLINES)
FIXED_FACTOR = 100.0
TAIL = 0.001
GRID = 41
SKIP = ("fleet::reference_tflops",)
REACHED, UNREACHABLE, NO_EFFECT = "reached", "unreachable within its range", "no effect"
COLUMNS = ["input", "status", "current", "value", "ratio", "low", "high", "range",
           "metric_at_current", "metric_at_low", "metric_at_high", "unit"]


def _bracket(p: Parameter) -> tuple[float, float, str] | None:
    if p.law is not None:
        lo, hi = float(p.law.ppf(TAIL)), float(p.law.ppf(1 - TAIL))
        return lo, hi, f"distribution P{TAIL * 100:g}-P{(1 - TAIL) * 100:g}"
    if p.value == 0 or not math.isfinite(p.value):
        return None  # no multiplicative bracket around zero
    a, b = p.value / FIXED_FACTOR, p.value * FIXED_FACTOR
    lo, hi = min(a, b), max(a, b)
    label = f"fixed: value/{FIXED_FACTOR:g} to value x {FIXED_FACTOR:g}"
    if p.unit == "fraction" and 0 < p.value <= 1:
        hi, label = 1.0, f"fixed: value/{FIXED_FACTOR:g} to 1 (a fraction)"
    return lo, hi, label


def _grid(p: Parameter, lo: float, hi: float) -> np.ndarray:
    if p.law is None and lo > 0:
        g = np.geomspace(lo, hi, GRID)
    else:
        g = np.linspace(lo, hi, GRID)
    return np.unique(np.clip(np.append(g, p.value), lo, hi))


def metric_function(st: Structure, params: Mapping[str, Parameter], metric: str,
                    chunk: int = 2048) -> Callable[[list[str], np.ndarray], np.ndarray]:
    """f(ids, values) -> metric per row: row i sets input ids[i] to values[i], the rest at their
    point values. Vectorised over rows (one model call per chunk)."""
    point = {k: np.array([p.value]) for k, p in params.items()}

    def f(ids: list[str], values: np.ndarray) -> np.ndarray:
        out = np.empty(len(ids))
        for j in range(0, len(ids), chunk):
            sl = slice(j, j + chunk)
            n = len(ids[sl])
            cols = {k: np.broadcast_to(v, (n,)).copy() for k, v in point.items()
                    if k in set(ids[sl])}
            for i, (pid, x) in enumerate(zip(ids[sl], values[sl], strict=True)):
                cols[pid][i] = x
            ps = ParamSet({**point, **cols}, n)
            out[sl] = headlines(st, simulate(st, ps))[metric]
        return out

    return f


def goal_seek(inputs: Inputs, metric: str, target: float,
              include_fixed: bool = True) -> pl.DataFrame:
    """One row per input (module docstring): columns input (param id), status, current, value
    (reaching the target; null unless reached), ratio (value / current), low, high and range
    (the searched range), metric_at_current / _low / _high, unit (the metric's).

    Sorted: reached inputs first, by how little they must change (|log ratio|)."""
    if metric not in HEADLINES:
        raise UsageError(f"unknown metric '{metric}': use one of {', '.join(METRICS)}")
    st = compile_structure(inputs)
    params = parameters(inputs)
    f = metric_function(st, params, metric)
    cands = []
    for pid, p in sorted(params.items()):
        if pid in SKIP or (p.law is None and not include_fixed):
            continue
        br = _bracket(p)
        if br is not None:
            cands.append((pid, p, br))
    current = float(f([cands[0][0]], np.array([cands[0][1].value]))[0]) if cands else math.nan
    ids, xs, owner = [], [], []
    for i, (pid, p, (lo, hi, _)) in enumerate(cands):
        g = _grid(p, lo, hi)
        ids += [pid] * g.size
        xs.append(g)
        owner += [i] * g.size
    ys = f(ids, np.concatenate(xs)) if ids else np.zeros(0)
    owner_arr = np.array(owner)
    allx = np.concatenate(xs) if xs else np.zeros(0)
    unit = HEADLINES[metric].unit
    rows = []
    for i, (pid, p, (lo, hi, label)) in enumerate(cands):
        sel = owner_arr == i
        gx, gy = allx[sel], ys[sel]
        row = {"input": pid, "current": p.value, "low": lo, "high": hi, "range": label,
               "metric_at_current": current, "metric_at_low": float(gy[0]),
               "metric_at_high": float(gy[-1]), "unit": unit, "value": None, "ratio": None}
        scale = max(abs(current), abs(target), 1.0)
        if np.ptp(gy) <= 1e-12 * scale:
            row["status"] = NO_EFFECT
        else:
            root = _nearest_root(lambda x, pid=pid: float(f([pid], np.array([x]))[0]) - target,
                                 gx, gy - target, p.value, 1e-9 * scale)
            row["status"] = UNREACHABLE if root is None else REACHED
            if root is not None:
                row["value"] = root
                row["ratio"] = root / p.value if p.value else None
        rows.append(row)
    schema = {c: (pl.Utf8 if c in ("input", "status", "range", "unit") else pl.Float64)
              for c in COLUMNS}
    out = pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    order = (pl.col("ratio").abs().log().abs()).fill_null(np.inf)
    return (out.with_columns(order.alias("_order"), (pl.col("status") != REACHED).alias("_s"))
            .sort(["_s", "_order", "input"]).drop("_order", "_s").select(COLUMNS))


def _nearest_root(g: Callable[[float], float], xs: np.ndarray, gs: np.ndarray,
                  current: float, tol: float) -> float | None:
    """The root of g nearest `current` among the grid's zeros (|g| <= tol) and sign changes,
    the nearest crossing refined by brentq (which calls the model one x at a time)."""
    zero = np.abs(gs) <= tol
    gs = np.where(zero, 0.0, gs)
    signs = np.flatnonzero(np.sign(gs[:-1]) * np.sign(gs[1:]) < 0)
    cands: list[float] = [float(x) for x in xs[zero]]
    if signs.size:
        mids = (xs[signs] + xs[signs + 1]) / 2
        i = int(signs[np.argmin(np.abs(mids - current))])
        a, b = float(xs[i]), float(xs[i + 1])
        ga, gb = g(a), g(b)
        if abs(ga) <= tol or abs(gb) <= tol or np.sign(ga) == np.sign(gb):
            # float noise at a grid point that is itself (close to) the root
            cands.append(a if abs(ga) <= abs(gb) else b)
        else:
            cands.append(brentq(g, a, b, xtol=1e-12 + 1e-9 * max(abs(a), abs(b)), rtol=1e-10))
    if not cands:
        return None
    return min(cands, key=lambda x: abs(x - current))
