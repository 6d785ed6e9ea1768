"""Monte Carlo: mean and quantiles of the forecast's series over draws of the uncertain inputs.

`forecast_quantiles` draws the inputs (chipcast.uncertainty.sampling), evaluates the model for
a chunk of draws at a time (`model.demand.simulate` is vectorised over draws), reduces each
chunk to the series of chipcast.model.series and aggregates them without keeping more than a
chunk of model state in memory. Units: the contract's (chipcast.contracts).

Aggregation: when draws x series x 8 bytes fits `exact_bytes` (default 512 MiB; 4,096 draws of
the base scenario fit) all series values are kept and quantiles are exact (`np.quantile`,
linear). Beyond that, two streamed passes over the same draws (the samplers replay them from
the seed): pass 1 keeps each series' min, max and sum; pass 2 counts values in `bins`
equal-width bins between min and max (uint32 counts) and a quantile is read from the bin holding
its order statistics, interpolating by rank inside the bin. Stated error:
|estimate - exact linear quantile| <= (max - min) / bins per series (default bins 2048: 0.05 %
of the series' range); the mean is exact in both modes.
Memory is one chunk of model state plus series x bins x 4 bytes, independent of the draw count.

A study can be split into ranges of draws evaluated on several processes (`study` ->
`Study.ranges`, run by flows/simulate.py on Dask): the samplers produce any range's draws
exactly, and the merge combines partial results in draw order, so the quantiles are identical
to one process's in both modes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl

from chipcast.contracts import HEADLINES, QUANTILES, unit_of
from chipcast.inputs import Inputs
from chipcast.model.demand import simulate
from chipcast.model.params import parameters, point_params
from chipcast.model.series import SeriesMeta, series_values
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty.quantiles import DEFAULT_BINS, HistogramQuantiles, exact_quantiles
from chipcast.uncertainty.sampling import DrawPlan, draw_plan

EXACT_BYTES = 512 * 2**20
CHUNK_BYTES = 192 * 2**20  # one chunk's series values; model state is a few times smaller

# Called with the number of chunks done and the total after each chunk (a CLI progress bar).
ProgressFn = Callable[[int, int], None]


def default_chunk(n_series: int, n_firms: int, n_months: int) -> int:
    """Draws per chunk: a power of 2 keeping one chunk's series and model state near
    CHUNK_BYTES (8 bytes a value)."""
    per_draw = 8 * max(n_series, 12 * n_firms * n_months)
    c = max(CHUNK_BYTES // per_draw, 1)
    return int(np.clip(2 ** int(np.log2(c)), 64, 8192))


def _frame(st: Structure, meta: SeriesMeta, mean: np.ndarray, qv: np.ndarray,
           qs: tuple[float, ...]) -> pl.DataFrame:
    n = meta.size
    k = len(qs) + 1
    stat = np.array(["mean"] + ["quantile"] * len(qs), dtype=object)
    quantile = np.array([np.nan, *qs])
    values = np.concatenate([mean[None, :], qv], axis=0).T.ravel()  # series-major
    units = np.array([unit_of(m) for m in meta.metric], dtype=object)

    def rep(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, k)

    return pl.DataFrame(
        [
            pl.Series("scenario", [st.scenario] * (n * k), dtype=pl.Utf8),
            pl.Series("month", rep(meta.month)).cast(pl.Date),
            pl.Series("firm", rep(meta.firm), dtype=pl.Utf8),
            pl.Series("workload", rep(meta.workload), dtype=pl.Utf8),
            pl.Series("sku", rep(meta.sku), dtype=pl.Utf8),
            pl.Series("metric", rep(meta.metric), dtype=pl.Utf8),
            pl.Series("stat", np.tile(stat, n), dtype=pl.Utf8),
            pl.Series("quantile", np.tile(quantile, n), dtype=pl.Float64).fill_nan(None),
            pl.Series("value", values, dtype=pl.Float64),
            pl.Series("unit", rep(units), dtype=pl.Utf8),
        ]
    )


def forecast_quantiles(
    inputs: Inputs,
    draws: int = 4096,
    seed: int = 20231,
    sampler: str = "sobol",
    chunk: int | None = None,
    progress: ProgressFn | None = None,
    *,
    exact_bytes: int = EXACT_BYTES,
    bins: int = DEFAULT_BINS,
    quantiles: tuple[float, ...] = QUANTILES,
) -> pl.DataFrame:
    """Mean and quantiles of the Monte Carlo series (module docstring) for one scenario.

    Columns: scenario, month (Date), firm, workload, sku, metric, stat ('mean' | 'quantile'),
    quantile (null for the mean), value, unit. Grain: series x stat x quantile. The caller adds
    run_id. Same inputs, draws, sampler and seed give identical values.
    """
    plan = study(inputs, draws, seed, sampler, chunk, exact_bytes=exact_bytes, bins=bins,
                 quantiles=quantiles)
    if isinstance(plan, pl.DataFrame):
        return plan
    total = plan.n_chunks * (1 if plan.exact else 2)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if plan.exact:
        return plan.from_values([plan.values(0, draws, step)])
    bounds = [plan.bounds(0, draws, step)]
    return plan.from_histogram(bounds, [plan.counts(0, draws, bounds, step)])


@dataclass(frozen=True)
class Bounds:
    """Pass 1 of the streamed mode over draws [start, stop): per-series min and max, each
    chunk's per-series sum (kept apart so a merge adds them in draw order, as one pass does)."""

    lo: np.ndarray
    hi: np.ndarray
    sums: list[np.ndarray]
    n: int


@dataclass
class Study:
    """One scenario's Monte Carlo, ready to run over draw ranges: `values`, `bounds` and
    `counts` evaluate the draws [start, stop) (start a multiple of `chunk`); `from_values` and
    `from_histogram` merge the ranges' results, given in draw order, into the same frame a
    single pass over [0, draws) gives (identical values: the draws are the same and partial
    results are combined in the same order)."""

    st: Structure
    plan: DrawPlan
    meta: SeriesMeta
    n_series: int
    draws: int
    chunk: int
    exact: bool
    bins: int = DEFAULT_BINS
    quantiles: tuple[float, ...] = QUANTILES

    @property
    def n_chunks(self) -> int:
        return -(-self.draws // self.chunk)

    def ranges(self, parts: int) -> list[tuple[int, int]]:
        """[start, stop) of up to `parts` contiguous ranges of whole chunks covering the
        draws, in draw order."""
        per = -(-self.n_chunks // max(parts, 1))
        return [(i * self.chunk, min((i + per) * self.chunk, self.draws))
                for i in range(0, self.n_chunks, per)]

    def _series(self, start: int, stop: int, step: Callable[[], None] | None
                ) -> Iterator[np.ndarray]:
        for ps in self.plan.chunks(stop, self.chunk, start):
            yield series_values(self.st, simulate(self.st, ps), False)[0]
            if step is not None:
                step()

    def values(self, start: int, stop: int, step: Callable[[], None] | None = None
               ) -> np.ndarray:
        """Series values of draws [start, stop): (stop - start, n_series)."""
        out = np.empty((stop - start, self.n_series))
        row = 0
        for v in self._series(start, stop, step):
            out[row:row + v.shape[0]] = v
            row += v.shape[0]
        return out

    def bounds(self, start: int, stop: int, step: Callable[[], None] | None = None) -> Bounds:
        """Pass 1 (streamed mode) over draws [start, stop)."""
        lo = np.full(self.n_series, np.inf)
        hi = np.full(self.n_series, -np.inf)
        sums = []
        for v in self._series(start, stop, step):
            np.minimum(lo, v.min(axis=0), out=lo)
            np.maximum(hi, v.max(axis=0), out=hi)
            sums.append(v.sum(axis=0))
        return Bounds(lo, hi, sums, stop - start)

    def histogram(self, bounds: list[Bounds]) -> HistogramQuantiles:
        """The pass-1 state of every range merged (in draw order)."""
        hist = HistogramQuantiles(self.n_series, bins=self.bins)
        for b in bounds:
            hist.merge_bounds(b.lo, b.hi, b.sums, b.n)
        return hist

    def counts(self, start: int, stop: int, bounds: list[Bounds],
               step: Callable[[], None] | None = None) -> np.ndarray:
        """Pass 2 (streamed mode) over draws [start, stop): bin counts (n_series, bins) on the
        bins set by every range's pass 1."""
        hist = self.histogram(bounds)
        for v in self._series(start, stop, step):
            hist.count(v)
        assert hist.counts is not None
        return hist.counts

    def from_values(self, parts: list[np.ndarray]) -> pl.DataFrame:
        """Exact mode: the frame from every range's values, in draw order."""
        allv = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return _frame(self.st, self.meta, allv.mean(axis=0),
                      exact_quantiles(allv, self.quantiles), self.quantiles)

    def from_histogram(self, bounds: list[Bounds], counts: list[np.ndarray]) -> pl.DataFrame:
        """Streamed mode: the frame from every range's pass 1 and pass 2 (counts add up)."""
        hist = self.histogram(bounds)
        for c in counts:
            hist.add_counts(c)
        return _frame(self.st, self.meta, hist.mean(), hist.quantiles(self.quantiles),
                      self.quantiles)


def study(
    inputs: Inputs, draws: int = 4096, seed: int = 20231, sampler: str = "sobol",
    chunk: int | None = None, *, exact_bytes: int = EXACT_BYTES, bins: int = DEFAULT_BINS,
    quantiles: tuple[float, ...] = QUANTILES,
) -> Study | pl.DataFrame:
    """Set up one scenario's Monte Carlo (see forecast_quantiles). When every input is fixed,
    all draws are the point forecast and the finished frame is returned instead."""
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    st = compile_structure(inputs)
    params = parameters(inputs)
    plan = draw_plan(inputs, params, sampler=sampler, seed=seed)
    if plan.dims == 0:
        # Every input is fixed: all draws are the point forecast, so one evaluation is exact.
        values, meta = series_values(st, simulate(st, point_params(params)))
        return _frame(st, meta, values[0], np.repeat(values, len(quantiles), axis=0), quantiles)
    first_vals, meta = series_values(st, simulate(st, plan.paramset(plan.draw_matrix(1))))
    n_series = first_vals.shape[1]
    chunk = chunk or default_chunk(n_series, len(st.firms), st.months.size)
    return Study(st, plan, meta, n_series, draws, chunk,
                 exact=draws * n_series * 8 <= exact_bytes, bins=bins, quantiles=quantiles)


def headline_quantiles(quantiles: pl.DataFrame) -> pl.DataFrame:
    """The headline rows of a forecast_quantiles frame in the `headlines` table's columns
    (scenario, headline, stat, quantile, month, value, unit)."""
    return (quantiles.filter(pl.col("metric").is_in(list(HEADLINES)))
            .select("scenario", pl.col("metric").alias("headline"), "stat", "quantile", "month",
                    "value", "unit"))
