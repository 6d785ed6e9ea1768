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
"""

from __future__ import annotations

from collections.abc import Callable

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
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    st = compile_structure(inputs)
    params = parameters(inputs)
    plan = draw_plan(inputs, params, sampler=sampler, seed=seed)
    if plan.dims == 0:
        # Every input is fixed: all draws are the point forecast, so one evaluation is exact.
        values, meta = series_values(st, simulate(st, point_params(params)))
        return _frame(st, meta, values[0], np.repeat(values, len(quantiles), axis=0), quantiles)
    return _aggregate(st, plan, draws, chunk, progress, exact_bytes, bins, quantiles)


def _aggregate(st: Structure, plan: DrawPlan, draws: int, chunk: int | None,
               progress: ProgressFn | None, exact_bytes: int, bins: int,
               qs: tuple[float, ...]) -> pl.DataFrame:
    first_vals, meta = series_values(st, simulate(st, plan.paramset(plan.draw_matrix(1))))
    n_series = first_vals.shape[1]
    chunk = chunk or default_chunk(n_series, len(st.firms), st.months.size)
    n_chunks = -(-draws // chunk)
    exact = draws * n_series * 8 <= exact_bytes
    total = n_chunks * (1 if exact else 2)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if exact:
        allv = np.empty((draws, n_series))
        start = 0
        for ps in plan.chunks(draws, chunk):
            allv[start:start + ps.n_draws] = series_values(st, simulate(st, ps), False)[0]
            start += ps.n_draws
            step()
        return _frame(st, meta, allv.mean(axis=0), exact_quantiles(allv, qs), qs)
    hist = HistogramQuantiles(n_series, bins=bins)
    for ps in plan.chunks(draws, chunk):
        hist.observe(series_values(st, simulate(st, ps), False)[0])
        step()
    for ps in plan.chunks(draws, chunk):  # the same draws again
        hist.count(series_values(st, simulate(st, ps), False)[0])
        step()
    return _frame(st, meta, hist.mean(), hist.quantiles(qs), qs)


def headline_quantiles(quantiles: pl.DataFrame) -> pl.DataFrame:
    """The headline rows of a forecast_quantiles frame in the `headlines` table's columns
    (scenario, headline, stat, quantile, month, value, unit)."""
    return (quantiles.filter(pl.col("metric").is_in(list(HEADLINES)))
            .select("scenario", pl.col("metric").alias("headline"), "stat", "quantile", "month",
                    "value", "unit"))
