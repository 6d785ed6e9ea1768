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
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from scipy import stats
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


def _beta_ppf(u: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The beta quantile function scipy.stats.beta.ppf calls (same ufunc, same values), for
    many columns at once; u in (0, 1)."""
    return _scipy_beta_ppf(u, a, b)


def _is_beta(law: Any) -> bool:
    """A frozen scipy beta with its shapes as positional args and loc/scale as keywords (as
    chipcast.model.distributions builds a pert), whose ppf is _beta_ppf x scale + loc."""
    return (getattr(getattr(law, "dist", None), "name", None) == "beta" and len(law.args) == 2
            and set(law.kwds) <= {"loc", "scale"})


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
    ids: list[str] = field(init=False)
    _chol: np.ndarray | None = field(init=False, default=None)
    _groups: np.ndarray = field(init=False)

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
    def _others(self) -> list[int]:
        betas = set(self._betas[0].tolist())
        return [j for j in range(self.dims) if j not in betas]

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
            z = stats.norm.ppf(u[:, g]) @ self._chol.T
            u = u.copy()
            u[:, g] = np.clip(stats.norm.cdf(z), _EPS, 1.0 - _EPS)
        out = np.empty_like(u)
        cols, a, b, scale, loc = self._betas
        if cols.size:  # every PERT (beta) column in one ufunc call: scipy's ppf, its overhead once
            out[:, cols] = _beta_ppf(u[:, cols], a, b) * scale + loc
        for j in self._others:
            out[:, j] = self.params[self.ids[j]].law.ppf(u[:, j])
        return out

    def paramset(self, values: np.ndarray) -> ParamSet:
        """A ParamSet of len(values) draws: uncertain inputs from `values`, the rest fixed."""
        n = values.shape[0]
        merged: dict[str, np.ndarray] = {
            k: np.array([p.value]) for k, p in self.params.items()
        }
        for j, pid in enumerate(self.ids):
            merged[pid] = values[:, j]
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
