"""Monte Carlo: mean and quantiles of the forecast's series over draws of the uncertain inputs.

`forecast_quantiles` draws the inputs (chipcast.uncertainty.sampling), evaluates the model for
a chunk of draws at a time (`model.demand.simulate` is vectorised over draws), reduces each
chunk to the series of chipcast.model.series and aggregates them without keeping more than a
chunk of model state in memory. Units: the contract's (chipcast.contracts).

Aggregation: when draws x series x 4 bytes (float32) fits `exact_bytes` (default 1 GiB; 4,096
draws of the base scenario fit) all series values are kept and quantiles are exact
(`np.quantile`, Hazen's method: chipcast.uncertainty.quantiles.QUANTILE_METHOD). Beyond that,
streamed (OnePassHistogram): one pass keeps each series' min, max and sum and counts its values
in `bins` equal-width bins over the first chunk's range (the pilot; uint32 counts, under- and
overflow counted apart); a quantile is read from the bin holding its order statistics,
interpolating by rank inside the bin. A calibrated run counts its kept draws (those the actuals
do not rule out) in a second histogram over the same pilot range in the same pass: their weights
are equal, so the posterior is Hazen's quantiles of the kept draws. A second pass over the same
draws (the samplers replay them from the seed) recounts, over their full range, only the series
whose quantiles fall outside the pilot range (usually none). Stated error: |estimate - exact
quantile| <= (max - min) / bins per series, prior and posterior (default bins 2048: 0.05 % of
the series' range; the pilot's bins are no wider); the headlines' quantiles are exact (every
draw's headlines are kept: draws x 7 float32 values); the mean is exact in both modes. Calibrated
(posterior) quantiles, when kept exact, are weighted_quantiles with the calibration weights.
The streamed chunks are folded into the histograms a batch of chunks at a time (up to
FOLD_BYTES of values: quantiles.fold says why); counts do not depend on the batching and sums
add the draws in order, so the numbers are the same for any batch. Memory is one chunk of model
state, one batch of float32 values and series x bins x 4 bytes per histogram, independent of
the draw count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from chipcast.contracts import HEADLINES, QUANTILES, unit_of
from chipcast.inputs import Inputs
from chipcast.model.demand import Simulation, simulate
from chipcast.model.params import parameters, point_params
from chipcast.model.series import (
    HEADLINE_SCHEMA,
    SeriesMeta,
    headline_month,
    headlines,
    n_series,
    write_series,
)
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty import backtest
from chipcast.uncertainty.backtest import DISCREPANCY, Target
from chipcast.uncertainty.quantiles import (
    DEFAULT_BINS,
    OnePassHistogram,
    exact_quantiles,
    fold,
    weighted_quantiles,
    weighted_sum,
)
from chipcast.uncertainty.sampling import DrawPlan, draw_plan

EXACT_BYTES = 1024 * 2**20  # float32 values of 4,096 draws of the base scenario fit
SAMPLE_DRAWS = 4096  # draws kept (inputs and headlines) for given-data sensitivity
CHUNK_BYTES = 192 * 2**20  # one chunk's series values; model state is a few times smaller
FOLD_BYTES = 720 * 2**20  # a streamed batch of float32 values folded at once (4,096 draws of base)

# Called with the number of chunks done and the total after each chunk (a CLI progress bar).
ProgressFn = Callable[[int, int], None]


def draw_values(st: Structure, sim: Simulation, with_meta: bool = True,
                out: np.ndarray | None = None) -> tuple[np.ndarray, SeriesMeta | None]:
    """The values the Monte Carlo summarises for a chunk of draws, (D, n): every series of
    chipcast.model.series, then every headline (metric = the headline's name, month = its
    window's last month, other labels `all`). `out` (D, n_values(st)), e.g. a float32 buffer
    reused chunk after chunk, receives them (computed in its dtype: float32 values carry float32
    rounding, ~6e-8 relative per operation); otherwise a float64 array is allocated."""
    n = n_series(st)
    out = np.empty((sim.shipped.shape[0], n_values(st))) if out is None else out
    _, meta, by_sku = write_series(st, sim, with_meta, out)
    heads = headlines(st, sim, by_sku)
    for j, h in enumerate(heads.values()):
        out[:, n + j] = h
    if meta is None:
        return out, None
    label = np.full(len(heads), "all", dtype=object)
    months = np.array([np.datetime64(headline_month(st, h), "D") for h in heads])
    meta = SeriesMeta(
        month=np.concatenate([meta.month, months]),
        firm=np.concatenate([meta.firm, label]), workload=np.concatenate([meta.workload, label]),
        sku=np.concatenate([meta.sku, label]), vendor=np.concatenate([meta.vendor, label]),
        metric=np.concatenate([meta.metric, np.array(list(heads), dtype=object)]))
    return out, meta


def n_values(st: Structure) -> int:
    """Columns of draw_values: the series, then the headlines."""
    return n_series(st) + len(HEADLINES)


def default_chunk(n_series: int, n_firms: int, n_months: int) -> int:
    """Draws per chunk: a power of 2 keeping one chunk's series and model state near
    CHUNK_BYTES (8 bytes a value)."""
    per_draw = 8 * max(n_series, 12 * n_firms * n_months)
    c = max(CHUNK_BYTES // per_draw, 1)
    return int(np.clip(2 ** int(np.log2(c)), 64, 8192))


def fold_draws(chunk: int, draws: int, n_series: int) -> int:
    """Draws folded into the streamed histograms at once: whole chunks up to FOLD_BYTES of
    float32 values (quantiles.fold says why), at least one chunk, at most every draw."""
    fit = max(FOLD_BYTES // (4 * n_series) // chunk, 1) * chunk
    return min(fit, -(-draws // chunk) * chunk)


def _frame(st: Structure, meta: SeriesMeta, mean: np.ndarray, qv: np.ndarray,
           qs: tuple[float, ...], calibration: str) -> pl.DataFrame:
    n = meta.size
    k = len(qs) + 1
    stat = np.array(["mean"] + ["quantile"] * len(qs), dtype=object)
    quantile = np.array([np.nan, *qs])
    values = np.concatenate([mean[None, :], qv], axis=0).T.ravel()  # series-major
    units = np.array([unit_of(m) for m in meta.metric], dtype=object)
    each = pl.Series(np.repeat(np.arange(n, dtype=np.uint32), k))  # row -> its series

    def rep(name: str, a: np.ndarray) -> pl.Series:
        # each series' text converted once, then repeated natively: converting the
        # repeated object array cost ~k times as much (the frame has n x k rows)
        return pl.Series(name, a, dtype=pl.Utf8).gather(each)

    return pl.DataFrame(
        [
            pl.repeat(st.scenario, n * k, dtype=pl.Utf8, eager=True).alias("scenario"),
            pl.Series("month", np.repeat(meta.month, k)).cast(pl.Date),
            rep("firm", meta.firm),
            rep("workload", meta.workload),
            rep("sku", meta.sku),
            rep("vendor", meta.vendor),
            rep("metric", meta.metric),
            pl.Series("stat", stat, dtype=pl.Utf8).gather(np.tile(np.arange(k), n)),
            pl.Series("quantile", np.tile(quantile, n), dtype=pl.Float64).fill_nan(None),
            pl.Series("value", values, dtype=pl.Float64),
            rep("unit", units),
            pl.repeat(calibration, n * k, dtype=pl.Utf8, eager=True).alias("calibration"),
        ]
    )


@dataclass(frozen=True)
class Actuals:
    """Reported figures to score every draw against (chipcast.uncertainty.backtest.Target),
    and, when `calibrate`, to rule draws out by (history matching): those in `fitted` (all when
    None), with the model discrepancy (a log-sd added to each actual's own error scale)."""

    targets: list[Target]
    calibrate: bool = False
    fitted: tuple[str, ...] | None = None
    discrepancy: float = DISCREPANCY

    @property
    def fit_index(self) -> list[int]:
        return [i for i, t in enumerate(self.targets)
                if self.fitted is None or t.id in self.fitted]


@dataclass(frozen=True)
class MonteCarlo:
    """A scenario's Monte Carlo: the summaries and what given-data analyses need."""

    quantiles: pl.DataFrame  # scenario .. unit, calibration ('prior' | 'posterior')
    draws: int
    actual_values: np.ndarray | None  # (draws, T) each actual's quantity per draw
    inputs: np.ndarray  # (n, d) the first SAMPLE_DRAWS draws of the uncertain inputs
    input_ids: list[str]  # (d,) their param ids
    headlines: np.ndarray  # (n, H) the headlines of those draws (contracts.HEADLINES order)
    weights: np.ndarray | None  # (draws,) 1/kept or 0 (history matching), None uncalibrated
    ess: float | None  # draws kept by the calibration


def headline_quantiles(quantiles: pl.DataFrame) -> pl.DataFrame:
    """The headline rows of Monte Carlo summaries (metric = a headline's name) as rows of the
    `headlines` table (columns of model.series.HEADLINE_SCHEMA; grain scenario x calibration x
    headline x stat x quantile)."""
    rows = quantiles.filter(pl.col("metric").is_in(list(HEADLINES)))
    return rows.rename({"metric": "headline"}).select(list(HEADLINE_SCHEMA)).cast(
        HEADLINE_SCHEMA)  # type: ignore[arg-type]


def forecast_quantiles(inputs: Inputs, draws: int = 4096, seed: int = 20231,
                       sampler: str = "sobol", chunk: int | None = None,
                       progress: ProgressFn | None = None, **kwargs: object) -> pl.DataFrame:
    """The prior Monte Carlo summaries of a scenario (run_monte_carlo's quantiles without the
    calibration column)."""
    mc = run_monte_carlo(inputs, draws, seed, sampler, chunk, progress, **kwargs)  # type: ignore
    return mc.quantiles.drop("calibration")


def run_monte_carlo(
    inputs: Inputs,
    draws: int = 4096,
    seed: int = 20231,
    sampler: str = "sobol",
    chunk: int | None = None,
    progress: ProgressFn | None = None,
    *,
    actuals: Actuals | None = None,
    exact_bytes: int = EXACT_BYTES,
    bins: int = DEFAULT_BINS,
    quantiles: tuple[float, ...] = QUANTILES,
) -> MonteCarlo:
    """Mean and quantiles of the Monte Carlo series (module docstring) for one scenario, under
    the prior and, when `actuals` calibrate, over the draws the fitted actuals do not rule out
    (chipcast.uncertainty.backtest). Every draw is also scored against `actuals`.

    Quantile columns: scenario, month (Date), firm, workload, sku, vendor, metric, stat ('mean'
    | 'quantile'), quantile (null for the mean), value, unit, calibration ('prior' |
    'posterior'). Grain: series x calibration x stat x quantile. The caller adds run_id. Same
    inputs, draws, sampler and seed give identical values.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    st = compile_structure(inputs)
    params = parameters(inputs)
    plan = draw_plan(inputs, params, sampler=sampler, seed=seed)
    if plan.dims == 0:
        # Every input is fixed: all draws are the point forecast, so one evaluation is exact.
        sim = simulate(st, point_params(params))
        values, meta = draw_values(st, sim)
        frame = _frame(st, meta, values[0], np.repeat(values, len(quantiles), axis=0),
                       quantiles, "prior")
        scored = None
        if actuals is not None:
            scored = np.repeat(backtest.evaluate(st, sim, actuals.targets), draws, axis=0)
            if actuals.calibrate:
                frame = pl.concat([frame, frame.with_columns(calibration=pl.lit("posterior"))])
        heads = values[:, -len(HEADLINES):]
        weights = np.full(draws, 1.0 / draws) if actuals and actuals.calibrate else None
        return MonteCarlo(frame, draws, scored, np.zeros((1, 0)), [], heads, weights,
                          float(draws) if weights is not None else None)
    return _aggregate(st, plan, draws, chunk, progress, exact_bytes, bins, quantiles,
                      actuals)


def _aggregate(st: Structure, plan: DrawPlan, draws: int, chunk: int | None,
               progress: ProgressFn | None, exact_bytes: int, bins: int,
               qs: tuple[float, ...], actuals: Actuals | None) -> MonteCarlo:
    first_vals, meta = draw_values(st, simulate(st, plan.paramset(plan.draw_matrix(1))))
    n_series = first_vals.shape[1]
    n_heads = len(HEADLINES)
    chunk = chunk or default_chunk(n_series, len(st.buyers), st.months.size)
    n_chunks = -(-draws // chunk)
    # values are kept as float32 (7 significant digits: ample for published quantiles)
    exact = draws * n_series * 4 <= exact_bytes
    total = n_chunks  # grows by n_chunks if a streamed run needs its second pass
    done = 0
    sample_x: list[np.ndarray] = []
    sample_h: list[np.ndarray] = []
    scored: list[np.ndarray] = []

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    # one float32 buffer, reused chunk after chunk (values are kept as float32 anyway)
    buffer = np.empty((min(chunk, draws), n_series), dtype=np.float32)

    def evaluate(x: np.ndarray, keep: bool, out: np.ndarray | None = None) -> np.ndarray:
        """Series values of a chunk of input draws (written into `out`, else the buffer); on
        the first pass keep the sample and score the draws against the actuals."""
        sim = simulate(st, plan.paramset(x))
        values = draw_values(st, sim, False, buffer[:x.shape[0]] if out is None else out)[0]
        if keep:
            kept = sum(len(a) for a in sample_x)
            if kept < SAMPLE_DRAWS:
                sample_x.append(x[:SAMPLE_DRAWS - kept])
                sample_h.append(values[:SAMPLE_DRAWS - kept, -n_heads:].astype(float))
            if actuals is not None:
                scored.append(backtest.evaluate(st, sim, actuals.targets))
        return values

    def calibrate() -> tuple[np.ndarray | None, float | None]:
        """Importance weights and their effective sample size, once every draw is scored."""
        if actuals is None or not actuals.calibrate:
            return None, None
        idx = actuals.fit_index
        fit = [actuals.targets[i] for i in idx]
        w = backtest.calibration_weights(np.concatenate(scored)[:, idx], fit,
                                         actuals.discrepancy)
        return w, backtest.effective_sample_size(w)

    if exact:
        allv = np.empty((draws, n_series), dtype=np.float32)
        start = 0
        for x in plan.matrices(draws, chunk):
            evaluate(x, True, allv[start:start + x.shape[0]])
            start += x.shape[0]
            step()
        frames = [_frame(st, meta, allv.mean(axis=0, dtype=np.float64),
                         exact_quantiles(allv, qs), qs, "prior")]
        weights, ess = calibrate()
        if weights is not None and ess:  # every draw ruled out: no posterior (the caller says)
            frames.append(_frame(st, meta, weighted_sum(allv, weights),
                                 weighted_quantiles(allv, weights, qs),
                                 qs, "posterior"))
    else:
        # One pass over a pilot range (OnePassHistogram), for the prior and, when calibrated,
        # for the posterior: a draw's calibration weight is 1/kept when the actuals do not
        # rule it out, else 0, decided by its own values alone (backtest.plausible), so the
        # posterior is Hazen's quantiles of the kept draws, counted as they come over the same
        # pilot range. A second pass over the same draws (drawn again from the seed) only for
        # series whose quantiles fall outside the pilot range.
        # Both pilot ranges are the first chunk's (all its draws). The chunks are folded in
        # batches of several chunks (quantiles.fold: counts move through memory once a batch).
        hist: OnePassHistogram | None = None
        post: OnePassHistogram | None = None
        calibrated = actuals is not None and actuals.calibrate
        fit_index = actuals.fit_index if actuals is not None else []
        fit = [actuals.targets[i] for i in fit_index] if actuals is not None else []
        kept_masks: list[np.ndarray] = []
        heads: list[np.ndarray] = []  # every draw's headlines: their quantiles stay exact
        batch = np.empty((fold_draws(chunk, draws, n_series), n_series), dtype=np.float32)
        filled = 0  # draws waiting in the batch

        def flush() -> None:
            nonlocal filled
            if filled and hist is not None:
                parts: list[tuple[OnePassHistogram, np.ndarray | None]] = [(hist, None)]
                if post is not None:
                    parts.append((post, np.concatenate(kept_masks)[-filled:]))
                fold(batch[:filled], parts)
            filled = 0

        for x in plan.matrices(draws, chunk):
            if filled + x.shape[0] > batch.shape[0]:
                flush()
            values = evaluate(x, True, batch[filled:filled + x.shape[0]])
            filled += x.shape[0]
            if hist is None:
                hist = OnePassHistogram(n_series, bins=bins, pilot=values)
            heads.append(values[:, -n_heads:].copy())
            if calibrated and actuals is not None:
                keep = backtest.plausible(scored[-1][:, fit_index], fit, actuals.discrepancy)
                kept_masks.append(keep)
                if post is None:
                    post = OnePassHistogram(n_series, bins=bins, pilot=values)
            step()
        flush()
        assert hist is not None
        weights, ess = calibrate()
        if weights is not None and ess:
            if not np.array_equal(np.concatenate(kept_masks), weights > 0):
                raise RuntimeError("internal: the draws counted for the posterior are not the "
                                   "ones calibration_weights keeps")
        else:
            post = None
        refine = hist.outside(qs)
        refine_post = post.outside(qs) if post is not None else np.zeros(n_series, bool)
        if refine.any() or refine_post.any():
            total += n_chunks
            hist.start_recount(refine)
            if post is not None:
                post.start_recount(refine_post)
            for x, keep in zip(plan.matrices(draws, chunk),
                               kept_masks or [None] * n_chunks, strict=True):
                values = evaluate(x, False)  # the same draws again
                hist.recount(values)
                if post is not None and keep is not None:
                    post.recount(values[keep])
                step()
        # The headlines (the figures quoted) exact, as in the kept mode: draws x headlines
        # float32 values are small (28 MB for a million draws).
        head_v = np.concatenate(heads)
        mean, qv = hist.mean(), hist.quantiles(qs)
        mean[-n_heads:] = head_v.mean(axis=0, dtype=np.float64)
        qv[:, -n_heads:] = exact_quantiles(head_v, qs)
        frames = [_frame(st, meta, mean, qv, qs, "prior")]
        if post is not None and weights is not None:
            mean, qv = post.mean(), post.quantiles(qs)
            mean[-n_heads:] = weighted_sum(head_v, weights)
            qv[:, -n_heads:] = weighted_quantiles(head_v, weights, qs)
            frames.append(_frame(st, meta, mean, qv, qs, "posterior"))
    return MonteCarlo(pl.concat(frames), draws, np.concatenate(scored) if scored else None,
                      np.concatenate(sample_x), list(plan.ids), np.concatenate(sample_h),
                      weights, ess)
