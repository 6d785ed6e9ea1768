"""Distributions of uncertain inputs: `dist, value, low, mode, high` -> a frozen scipy.stats law.

Semantics (docs/architecture.md): uniform(low, high); triangular and pert(low, mode, high) with
mode defaulting to value; lognormal with low/high its 5th/95th percentiles; normal-truncated with
mean = mode or value, sd = (high - low) / 4, cut to [low, high]. `fixed` has no law.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from scipy import stats

from chipcast.contracts import DISTS

_Z95 = stats.norm.ppf(0.95)
PERT_LAMBDA = 4.0  # the classic PERT weight on the mode
LAWS_KEPT = 4096  # distinct frozen laws kept per process: ~11 KiB each (the 8 shipped scenarios
# have 266 between them), so at most ~45 MiB in a long-lived process


class DistributionError(ValueError):
    """The dist name or its parameters make no distribution: `column` is the input column to
    fix (dist, low, mode or high) and `hint` says how."""

    def __init__(self, message: str, column: str = "dist", hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.hint = hint


def _finite(x: float | None) -> bool:
    """Present and finite: an infinite bound would give a law of NaNs, not an error."""
    return x is not None and math.isfinite(x)


def frozen(
    dist: str | None,
    value: float,
    low: float | None = None,
    mode: float | None = None,
    high: float | None = None,
) -> Any | None:
    """The frozen scipy distribution of one input, or None when it is fixed."""
    name = (dist or "fixed").strip().lower()
    if name == "fixed":
        return None
    if name not in DISTS:
        raise DistributionError(f"unknown dist '{dist}'",
                                hint=f"use one of {', '.join(DISTS)} (empty = fixed)")
    if not (_finite(low) and _finite(high)):
        raise DistributionError(f"dist '{name}' needs finite low and high",
                                column="low" if not _finite(low) else "high",
                                hint="fill low and high, or set dist to fixed")
    lo, hi = float(low), float(high)  # type: ignore[arg-type]
    if not lo < hi:
        raise DistributionError(f"dist '{name}' needs low < high (got {lo:g} and {hi:g})",
                                column="high", hint="widen the range so that low < high, or "
                                "set dist to fixed")
    md = float(mode) if _finite(mode) else float(value)
    if name in ("triangular", "pert", "normal-truncated") and not lo <= md <= hi:
        raise DistributionError(f"dist '{name}': mode {md:g} lies outside [{lo:g}, {hi:g}]",
                                column="mode", hint="mode (or value, when mode is empty) must "
                                "lie within [low, high]")
    width = hi - lo
    if name == "uniform":
        return _law("uniform", loc=lo, scale=width)
    if name == "triangular":
        return _law("triang", c=(md - lo) / width, loc=lo, scale=width)
    if name == "pert":
        a = 1 + PERT_LAMBDA * (md - lo) / width
        b = 1 + PERT_LAMBDA * (hi - md) / width
        return _law("beta", a, b, loc=lo, scale=width)
    if name == "lognormal":
        if lo <= 0:
            raise DistributionError(f"dist 'lognormal' needs low > 0 (got {lo:g})",
                                    column="low", hint="a lognormal's 5th percentile must be "
                                    "positive: raise low, or use another dist")
        mu = (math.log(lo) + math.log(hi)) / 2
        sigma = (math.log(hi) - math.log(lo)) / (2 * _Z95)
        return _law("lognorm", s=sigma, scale=math.exp(mu))
    # normal-truncated
    sd = width / 4
    return _law("truncnorm", a=(lo - md) / sd, b=(hi - md) / sd, loc=md, scale=sd)


@lru_cache(maxsize=LAWS_KEPT)
def _law(name: str, *args: float, **kwds: float) -> Any:
    """scipy.stats' law `name` frozen with `args` and `kwds` as given (the sampler reads a
    law's args and kwds), one object per distinct call. Why kept: freezing builds a new
    distribution instance and its docstring, ~1 ms a law, and a run builds every input's law
    several times per scenario (forecast, Monte Carlo, back-test, sensitivity): 5.6 s of a
    default run. Nothing changes a law once built (no `random_state` is set: draws come from
    the sampling plan's own generator), so sharing one is safe."""
    return getattr(stats, name)(*args, **kwds)
