"""Draws of the uncertain inputs: quasi-random uniforms -> Gaussian copula -> each law's ppf.

Uncertain parameters are the numeric input rows with a distribution (`Parameter.law`), taken in
param-id order so a draw matrix's columns never depend on file order. Samplers:

- `sobol` (default): scrambled Sobol' points (`scipy.stats.qmc.Sobol`, seeded). The sequence is
  generated in order chunk after chunk, so results do not depend on the chunk size; power-of-2
  draw counts keep Sobol's balance properties (other counts are allowed and only lose them).
- `lhs`: Latin hypercube (`qmc.LatinHypercube`); each chunk is its own hypercube (stratified
  within the chunk, seeded per chunk from one SeedSequence), so a chunk of n draws puts one draw
  in each of n equal-probability strata of every input.
- `random`: plain uniforms from `np.random.Generator` (PCG64), drawn row by row, so again
  independent of the chunk size.

Correlation groups (`correlations.csv`: group, table, metric, rho) make every uncertain row of
`table` with `metric` a member of `group`; members are pairwise rank-correlated with Spearman
`rho` through a Gaussian copula: uniforms -> standard normals -> multiplied by the Cholesky
factor of the normal correlation 2·sin(pi·rho/6) (the Pearson value that gives Spearman rho) ->
back to uniforms. A matrix that is not positive definite (rho = 1, or very negative rho in a big
group) is replaced by the nearest valid one (eigenvalues clipped at 1e-10, unit diagonal
restored) with a warning. Randomness comes only from the seed: same inputs, sampler and seed give
identical draws.

PERT (beta) inputs, most of them, go through a compiled beta quantile (PertQuantile: Halley's
method on the regularised incomplete beta from a per-law start table, parallel over draws), within
~1e-15 of the range of scipy.stats.beta.ppf (the whole transform is 5-7x cheaper a draw than
with scipy's ppfs on 2 threads: bench/draws.py); the lognormal, triangular and uniform columns
go through scipy's own ppf expression a law at a time (the same values bit for bit, without
scipy's per-call argument handling), any other law through its frozen ppf. Each value is
computed alone, so the thread count never changes a draw.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numba
import numpy as np
from scipy import special
from scipy.special._ufuncs import _beta_ppf as _scipy_beta_ppf  # beta.ppf's own kernel
from scipy.stats import qmc

from chipcast.contracts import SAMPLERS
from chipcast.errors import InputError, Problem
from chipcast.model.params import Parameter, ParamSet

_EPS = 1e-12  # uniforms are kept inside (0, 1) so that ppf and the normal quantile stay finite


def uncertain_ids(params: Mapping[str, Parameter]) -> list[str]:
    """Param ids of the inputs with a distribution, sorted (the columns of a draw matrix)."""
    return sorted(k for k, p in params.items() if p.law is not None)


def _split_id(pid: str) -> tuple[str, str]:
    table, _, rest = pid.partition(":")
    return table, rest.rpartition(":")[2]


def correlation_matrix(correlations: Any, ids: list[str]) -> np.ndarray:
    """Spearman rank-correlation matrix (len(ids), len(ids)) declared by `correlations.csv`.

    Every row (group, table, metric, rho) adds the uncertain inputs of that table and metric to
    the group; a group's members are pairwise correlated with its rho. An input in two groups, or
    a group with two different rhos, is a data error.
    """
    n = len(ids)
    rho = np.eye(n)
    if correlations is None or correlations.height == 0 or n == 0:
        return rho
    problems: list[Problem] = []
    members: dict[str, list[int]] = {}
    group_rho: dict[str, float] = {}
    owner: dict[int, str] = {}
    for row in correlations.iter_rows(named=True):
        group, value = str(row["group"]), float(row["rho"])
        if not -1.0 <= value <= 1.0:
            problems.append(Problem("correlations.csv", f"rho {value} outside [-1, 1]",
                                    row=row.get("_row"), column="rho",
                                    hint="a rank correlation lies between -1 and 1"))
            continue
        if group in group_rho and not math.isclose(group_rho[group], value):
            problems.append(Problem("correlations.csv", f"group '{group}' has two values of rho",
                                    row=row.get("_row"), column="rho",
                                    hint="give every row of a group the same rho"))
            continue
        group_rho[group] = value
        for j, pid in enumerate(ids):
            if _split_id(pid) != (row["table"], row["metric"]):
                continue
            if owner.get(j, group) != group:
                problems.append(Problem("correlations.csv",
                                        f"{pid} is in groups '{owner[j]}' and '{group}'",
                                        row=row.get("_row"), column="group",
                                        hint="an input may belong to one group only"))
                continue
            owner[j] = group
            members.setdefault(group, [])
            if j not in members[group]:
                members[group].append(j)
    if problems:
        raise InputError(problems)
    for group, idx in members.items():
        for a in idx:
            for b in idx:
                if a != b:
                    rho[a, b] = group_rho[group]
    return rho


def normal_correlation(spearman: np.ndarray) -> np.ndarray:
    """The Gaussian-copula correlation giving these Spearman rhos, made positive definite."""
    r = 2.0 * np.sin(np.pi * spearman / 6.0)
    np.fill_diagonal(r, 1.0)
    try:
        np.linalg.cholesky(r)
        return r
    except np.linalg.LinAlgError:
        pass
    vals, vecs = np.linalg.eigh(r)
    fixed = (vecs * np.clip(vals, 1e-10, None)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    warnings.warn(
        "the declared rank correlations are not a valid correlation matrix; using the nearest "
        f"valid one (largest change {np.abs(fixed - r).max():.3g})",
        stacklevel=2,
    )
    return fixed


# --- the fast beta (PERT) quantile -----------------------------------------------------------
# scipy's beta quantile (Boost's ibeta_inv) costs ~2 us an element, single-threaded: for 237 PERT
# inputs that was most of a draw's cost. The kernel below inverts the regularised incomplete beta
# by Halley's method from a per-column start table, compiled and parallel over rows; each element
# is computed alone, so the thread count never changes a value.
_TABLE = 512  # cells of the start table: uniform steps in u, its x from scipy's own quantile
_FAST_SHAPES = (0.5, 20.0)  # shapes the kernel is tested for (PERT gives 1..5); others: scipy
_CF_EPS = 1e-16  # the continued fraction stops when a convergent moves by less than this
_CF_HUGE = 1e100  # convergents' numerator and denominator are rescaled beyond this


@numba.njit(cache=True)
def _betacf(a: float, b: float, x: float) -> float:  # pragma: no cover
    """Continued fraction of the incomplete beta, 1 / (1 + d1 / (1 + d2 / ...)) (Numerical
    Recipes' terms), converging fast for x < (a + 1) / (a + b + 2); each step takes the even
    then the odd term. Evaluated by the forward (Wallis) recurrence of the convergents'
    numerators and denominators: its serial chain is multiply-adds, where modified Lentz chained
    two divisions a term (~1.7x the time at PERT shapes, no less accurate: both within ~1e-15 of
    mpmath). Stops when a step moves the convergent by less than _CF_EPS of it."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    num2, den2 = 1.0, 1.0  # the convergents before the last: 1 / 1
    num1, den1 = 1.0, 1.0 - qab * x / qap  # the last one: 1 / (1 + d1)
    h = num1 / den1
    for m in range(1, 300):
        m2 = 2.0 * m
        even = m * (b - m) * x / ((qam + m2) * (a + m2))
        odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        num0, den0 = num1 + even * num2, den1 + even * den2
        num2, den2 = num0, den0
        num1, den1 = num0 + odd * num1, den0 + odd * den1
        new = num1 / den1
        if abs(new - h) < _CF_EPS * abs(new):
            return new
        h = new
        if abs(den1) > _CF_HUGE:  # keep the recurrence far from overflow (never at PERT shapes)
            num1, den1, num2, den2 = (num1 / _CF_HUGE, den1 / _CF_HUGE, num2 / _CF_HUGE,
                                      den2 / _CF_HUGE)
    return h


@numba.njit(cache=True)
def _solve(p: float, a: float, b: float, lbeta: float, x: float) -> float:  # pragma: no cover
    """x in (0, 1) with I_x(a, b) = p (p <= 1/2, so x is never close to 1 where its absolute
    error would grow), by Halley's method from x, kept inside a shrinking bracket. Stops after
    a step below 1e-6 of x: Halley's error is then cubic in it, far below 1e-16."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        lx, l1x = math.log(x), math.log1p(-x)
        front = math.exp(a * lx + b * l1x - lbeta)  # x^a (1-x)^b / B(a, b)
        if x < (a + 1.0) / (a + b + 2.0):
            f = front * _betacf(a, b, x) / a - p
        else:
            f = (1.0 - p) - front * _betacf(b, a, 1.0 - x) / b
        if f == 0.0:
            break
        if f < 0.0:
            lo = x
        else:
            hi = x
        pdf = front / (x * (1.0 - x))
        r = f / pdf if pdf > 0.0 else np.inf
        curv = (a - 1.0) / x - (b - 1.0) / (1.0 - x)  # pdf' / pdf
        den = 1.0 - 0.5 * r * curv
        new = x - (r / den if den > 0.5 else r)
        if lo <= new <= hi:  # a Halley (or, far off, Newton) step
            done = abs(new - x) <= 1e-6 * x
            x = new
            if done:
                break
        else:  # the step left the bracket: bisect it
            x = 0.5 * (lo + hi)
    return x


@numba.njit(cache=True, inline="always")
def _start(p: float, cells: int, x: np.ndarray,
           dx: np.ndarray) -> tuple[int, float]:  # pragma: no cover
    """The cell of u = p in the start table and the cubic Hermite interpolant of the quantile
    there, from the table's x and slopes dx/du / cells at the cell's two ends (error
    ~h^4 max|x^(4)| / 384, h = 1 / cells: ~1e-12 of x mid-range, where the linear start's
    h^2 x'' / 8, ~1e-5, often cost a second Halley step)."""
    t = p * cells
    c = min(int(t), cells - 1)
    s = t - c
    r = 1.0 - s
    x0 = (r * r * ((1.0 + 2.0 * s) * x[c] + s * dx[c])
          + s * s * ((3.0 - 2.0 * s) * x[c + 1] - r * dx[c + 1]))
    return c, x0


@numba.njit(cache=True, parallel=True)
def _pert_ppf(u: np.ndarray, a: np.ndarray, b: np.ndarray, lbeta: np.ndarray,
              table: np.ndarray, slope: np.ndarray, scale: np.ndarray, loc: np.ndarray,
              out: np.ndarray) -> None:  # pragma: no cover
    """out[i, j] = loc[j] + scale[j] x beta(a[j], b[j]) quantile of u[i, j] (u in (0, 1)).
    table (k, _TABLE + 1): column k's quantile at u = 0, 1/_TABLE, ..., 1, and slope the
    same grid's dx/du / _TABLE: the Hermite start (the two end cells start from the power
    law instead)."""
    rows, k = u.shape
    cells = table.shape[1] - 1
    for i in numba.prange(rows):
        for j in range(k):
            p = u[i, j]
            aj, bj = a[j], b[j]
            c, x0 = _start(p, cells, table[j], slope[j])
            if p <= 0.5:
                if c == 0:  # near 0, I_x ~ x^a / (a B): the power law is the better start
                    x0 = math.exp((math.log(p * aj) + lbeta[j]) / aj)
                x0 = min(max(x0, 1e-300), 1.0 - 1e-16)
                x = _solve(p, aj, bj, lbeta[j], x0)
            else:  # the mirror image: 1 - x is beta(b, a) at 1 - u (exact in floating point)
                q = 1.0 - p
                y0 = 1.0 - x0
                if c == cells - 1:
                    y0 = math.exp((math.log(q * bj) + lbeta[j]) / bj)
                y0 = min(max(y0, 1e-300), 1.0 - 1e-16)
                x = 1.0 - _solve(q, bj, aj, lbeta[j], y0)
            out[i, j] = x * scale[j] + loc[j]


def _beta_ppf(u: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The beta quantile function scipy.stats.beta.ppf calls (same ufunc, same values), for
    many columns at once; u in (0, 1)."""
    return _scipy_beta_ppf(u, a, b)


@dataclass(frozen=True)
class PertQuantile:
    """The quantile functions of k beta laws, loc + scale x Beta(a, b), evaluated together
    (`__call__`): the compiled kernel for shapes in _FAST_SHAPES (every PERT: 1..5), scipy's
    own for any other column. Values: within ~1e-15 x scale of scipy.stats.beta.ppf (tested
    to 1e-12); units: those of loc and scale."""

    a: np.ndarray  # (k,) shapes
    b: np.ndarray
    scale: np.ndarray  # (k,)
    loc: np.ndarray

    @cached_property
    def _fast(self) -> np.ndarray:
        lo, hi = _FAST_SHAPES
        return (self.a >= lo) & (self.a <= hi) & (self.b >= lo) & (self.b <= hi)

    @cached_property
    def _table(self) -> np.ndarray:
        """(k_fast, _TABLE + 1) quantiles at u = 0, 1/_TABLE, ..., 1: the Halley start."""
        f = self._fast
        grid = np.linspace(0.0, 1.0, _TABLE + 1)
        table = _scipy_beta_ppf(grid[None, :], self.a[f, None], self.b[f, None])
        table[:, 0], table[:, -1] = 0.0, 1.0
        return np.ascontiguousarray(table)

    @cached_property
    def _lbeta(self) -> np.ndarray:
        """(k_fast,) log B(a, b)."""
        f = self._fast
        return special.betaln(self.a[f], self.b[f])

    @cached_property
    def _slope(self) -> np.ndarray:
        """(k_fast, _TABLE + 1) dx/du / _TABLE at the table's x: 1 / (pdf(x) _TABLE), the pdf
        x^(a-1) (1-x)^(b-1) / B(a, b) in closed form; 0 at u = 0 and 1 (unused: the end cells
        start from the power law)."""
        f = self._fast
        a, b = self.a[f, None], self.b[f, None]
        x = self._table[:, 1:-1]
        slope = np.zeros_like(self._table)
        slope[:, 1:-1] = np.exp(special.betaln(a, b) - (a - 1.0) * np.log(x)
                                - (b - 1.0) * np.log1p(-x)) / _TABLE
        return slope

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """(rows, k) values of u (rows, k) in (0, 1)."""
        f = self._fast
        out = np.empty(u.shape)
        if f.all():  # every PERT: straight into out, no column copies
            _pert_ppf(np.ascontiguousarray(u, dtype=np.float64), self.a, self.b,
                      self._lbeta, self._table, self._slope, self.scale, self.loc, out)
            return out
        if f.any():
            a, b = self.a[f], self.b[f]
            res = np.empty((u.shape[0], int(f.sum())))
            _pert_ppf(np.ascontiguousarray(u[:, f], dtype=np.float64), a, b,
                      self._lbeta, self._table, self._slope, self.scale[f], self.loc[f], res)
            out[:, f] = res
        if not f.all():
            s = ~f
            out[:, s] = _scipy_beta_ppf(u[:, s], self.a[s], self.b[s]) * self.scale[s] + self.loc[s]
        return out


def _is_beta(law: Any) -> bool:
    """A frozen scipy beta with its shapes as positional args and loc/scale as keywords (as
    chipcast.model.distributions builds a pert), whose ppf is _beta_ppf x scale + loc."""
    return (getattr(getattr(law, "dist", None), "name", None) == "beta" and len(law.args) == 2
            and set(law.kwds) <= {"loc", "scale"})


# Other laws' quantiles, every column of a law at once: scipy's rv_continuous.ppf computes
# `law._ppf(q, *shapes) * scale + loc` for q in (0, 1) after ~0.1 ms of argument handling a
# call, paid per column and chunk; these are the same element-wise expressions (scipy 1.17's
# lognorm_gen, triang_gen, uniform_gen._ppf), so the values are scipy's bit for bit (tested).
def _lognorm_ppf(q: np.ndarray, s: np.ndarray) -> np.ndarray:
    return np.exp(s * special.ndtri(q))


def _triang_ppf(q: np.ndarray, c: np.ndarray) -> np.ndarray:
    return np.where(q < c, np.sqrt(c * q), 1 - np.sqrt((1 - c) * (1 - q)))


def _uniform_ppf(q: np.ndarray) -> np.ndarray:
    return q


# module-level functions, not lambdas: a plan holding them (its cached _vectors) pickles
_VECTOR_LAWS = {  # scipy name -> (its shape keywords, its _ppf on (rows, k) q and (k,) shapes)
    "lognorm": (("s",), _lognorm_ppf),
    "triang": (("c",), _triang_ppf),
    "uniform": ((), _uniform_ppf),
}


def _vector_law(law: Any) -> str | None:
    """The _VECTOR_LAWS name of a frozen law given by keywords only (shapes, loc, scale: as
    chipcast.model.distributions builds it), or None (its own ppf is used)."""
    name = getattr(getattr(law, "dist", None), "name", None)
    if name not in _VECTOR_LAWS or law.args:
        return None
    shapes = _VECTOR_LAWS[name][0]
    return name if set(shapes) <= set(law.kwds) <= {*shapes, "loc", "scale"} else None


@dataclass
class DrawPlan:
    """How to draw the uncertain inputs of one scenario: ids, laws, copula, sampler and seed.

    `chunks(n, chunk)` yields ParamSets of consecutive draws; calling it again replays exactly
    the same draws (the two-pass quantile aggregation relies on that).
    """

    params: Mapping[str, Parameter]
    sampler: str = "sobol"
    seed: int = 20231
    spearman: np.ndarray | None = None  # (d, d) declared rank correlations; None = independent
    fast_ppf: bool = True  # compiled PERT quantile (PertQuantile), other laws' ppf a law at
    # a time (_VECTOR_LAWS); False: every law's scipy ppf, bit for bit
    ids: list[str] = field(init=False)
    _chol: np.ndarray | None = field(init=False, default=None)
    _groups: np.ndarray = field(init=False)
    # paramset's read-only views of every point value, by draw count (chunks share a few sizes)
    _fixed: dict[int, dict[str, np.ndarray]] = field(init=False, default_factory=dict,
                                                     repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler}")
        self.ids = uncertain_ids(self.params)
        d = len(self.ids)
        self._groups = np.zeros(0, dtype=int)
        if self.spearman is not None and d and np.any(self.spearman != np.eye(d)):
            # Only correlated columns go through the copula (saves work, keeps the rest exact).
            linked = np.flatnonzero(np.any(self.spearman != np.eye(d), axis=1))
            self._groups = linked
            self._chol = np.linalg.cholesky(
                normal_correlation(self.spearman[np.ix_(linked, linked)])
            )

    @cached_property
    def _betas(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The columns whose law is a beta (pert) and their shapes, scales and locations."""
        cols = [j for j, pid in enumerate(self.ids) if _is_beta(self.params[pid].law)]
        laws = [self.params[self.ids[j]].law for j in cols]
        return (np.array(cols, dtype=int), np.array([law.args[0] for law in laws]),
                np.array([law.args[1] for law in laws]),
                np.array([law.kwds.get("scale", 1.0) for law in laws]),
                np.array([law.kwds.get("loc", 0.0) for law in laws]))

    @cached_property
    def _pert(self) -> PertQuantile:
        _, a, b, scale, loc = self._betas
        return PertQuantile(a, b, scale, loc)

    @cached_property
    def _vectors(self) -> list[tuple[np.ndarray, Any, list[np.ndarray], np.ndarray, np.ndarray]]:
        """Per _VECTOR_LAWS law present: its columns, _ppf, (k,) shapes, scales and locs."""
        betas = set(self._betas[0].tolist())
        groups: dict[str, list[int]] = {}
        for j, pid in enumerate(self.ids):
            name = _vector_law(self.params[pid].law)
            if name is not None and j not in betas:
                groups.setdefault(name, []).append(j)
        out = []
        for name, cols in groups.items():
            shapes, ppf = _VECTOR_LAWS[name]
            kwds = [self.params[self.ids[j]].law.kwds for j in cols]
            out.append((np.array(cols, dtype=int), ppf,
                        [np.array([float(k[s]) for k in kwds]) for s in shapes],
                        np.array([float(k.get("scale", 1.0)) for k in kwds]),
                        np.array([float(k.get("loc", 0.0)) for k in kwds])))
        return out

    @cached_property
    def _not_beta(self) -> list[int]:
        betas = set(self._betas[0].tolist())
        return [j for j in range(self.dims) if j not in betas]

    @cached_property
    def _others(self) -> list[int]:
        """Columns neither beta nor of a _VECTOR_LAWS law: each by its frozen law's ppf."""
        vector = {j for cols, *_ in self._vectors for j in cols.tolist()}
        return [j for j in self._not_beta if j not in vector]

    @property
    def dims(self) -> int:
        return len(self.ids)

    def uniforms(self, n_draws: int, chunk: int, start: int = 0) -> Iterator[np.ndarray]:
        """Independent uniforms in (0, 1), (rows, d) per chunk, for draws [start, n_draws).

        Draws [start, stop) are exactly the rows start..stop-1 of one run from 0, so a study
        split into ranges on several processes sees the same draws as a single process:
        Sobol skips ahead with `fast_forward`, the random generator with `advance` (PCG64 spends
        one 64-bit output per uniform), and LHS takes the hypercubes of the chunks in the
        range (chunk i is seeded by the i-th child of the seed). `start` must be a multiple of
        `chunk`, so the chunks are the ones a run from 0 makes."""
        if start % chunk:
            raise ValueError(f"start {start} is not a multiple of the chunk size {chunk}")
        d = max(self.dims, 1)  # qmc engines need d >= 1; a dummy column is ignored downstream
        sizes = [min(chunk, n_draws - s) for s in range(start, n_draws, chunk)]
        if self.sampler == "sobol":
            engine = qmc.Sobol(d, scramble=True, rng=np.random.default_rng(self.seed))
            if start:
                engine.fast_forward(start)
            with warnings.catch_warnings():
                # A non-power-of-2 count only loses balance properties; documented above.
                warnings.simplefilter("ignore", UserWarning)
                for size in sizes:
                    yield engine.random(size)
        elif self.sampler == "lhs":
            first = start // chunk
            seeds = np.random.SeedSequence(self.seed).spawn(first + len(sizes))[first:]
            for size, ss in zip(sizes, seeds, strict=True):
                yield qmc.LatinHypercube(d, rng=np.random.default_rng(ss)).random(size)
        else:
            rng = np.random.default_rng(self.seed)
            if start:
                rng.bit_generator.advance(start * d)
            for size in sizes:
                yield rng.random((size, d))

    def transform(self, u: np.ndarray) -> np.ndarray:
        """Uniforms (rows, d) -> input values (rows, d): copula, then each law's ppf."""
        u = np.clip(u[:, : self.dims], _EPS, 1.0 - _EPS)
        if self._chol is not None:
            g = self._groups
            # the ufuncs stats.norm.ppf / cdf call, without their argument checking
            z = special.ndtri(u[:, g]) @ self._chol.T
            u = u.copy()
            u[:, g] = np.clip(special.ndtr(z), _EPS, 1.0 - _EPS)
        out = np.empty_like(u)
        cols, a, b, scale, loc = self._betas
        if cols.size and self.fast_ppf:  # every PERT column in one compiled, parallel call
            out[:, cols] = self._pert(u[:, cols])
        elif cols.size:  # scipy's ppf in one ufunc call, its overhead once
            out[:, cols] = _beta_ppf(u[:, cols], a, b) * scale + loc
        if self.fast_ppf:  # each other law's columns in one call of scipy's own expression
            for vcols, ppf, shapes, vscale, vloc in self._vectors:
                out[:, vcols] = ppf(u[:, vcols], *shapes) * vscale + vloc
        for j in self._others if self.fast_ppf else self._not_beta:
            out[:, j] = self.params[self.ids[j]].law.ppf(u[:, j])
        return out

    def __getstate__(self) -> dict[str, object]:
        # paramset's cached views stay behind: pickled, a broadcast view becomes n copies
        return {**self.__dict__, "_fixed": {}}

    def paramset(self, values: np.ndarray) -> ParamSet:
        """A ParamSet of len(values) draws: uncertain inputs from `values`, the rest fixed."""
        n = values.shape[0]
        if n not in self._fixed:  # every input's point value over n draws, built once per n
            self._fixed[n] = {k: np.broadcast_to(np.array([p.value]), (n,))
                              for k, p in self.params.items()}
        ro = values.view()
        ro.flags.writeable = False  # its columns are then read-only: ParamSet keeps them as is
        merged = dict(self._fixed[n])
        for j, pid in enumerate(self.ids):
            merged[pid] = ro[:, j]
        return ParamSet(merged, n)

    def matrices(self, n_draws: int, chunk: int, start: int = 0) -> Iterator[np.ndarray]:
        """Input values (rows, d) per chunk, for draws [start, n_draws)."""
        for u in self.uniforms(n_draws, chunk, start):
            yield self.transform(u)

    def chunks(self, n_draws: int, chunk: int, start: int = 0) -> Iterator[ParamSet]:
        """ParamSets of consecutive draws [start, n_draws), `chunk` at a time (the last one may
        be shorter); `start` is a multiple of `chunk`."""
        for values in self.matrices(n_draws, chunk, start):
            yield self.paramset(values)

    def draw_matrix(self, n_draws: int) -> np.ndarray:
        """All draws at once, (n_draws, d): for small runs and tests."""
        parts = list(self.matrices(n_draws, max(n_draws, 1)))
        return np.concatenate(parts) if parts else np.zeros((0, self.dims))


def draw_plan(inputs: Any, params: Mapping[str, Parameter], sampler: str = "sobol",
              seed: int = 20231) -> DrawPlan:
    """The DrawPlan of a scenario: its uncertain parameters and declared correlations."""
    ids = uncertain_ids(params)
    spearman = correlation_matrix(getattr(inputs, "correlations", None), ids)
    return DrawPlan(params, sampler=sampler, seed=seed, spearman=spearman)
