"""Quantiles over Monte Carlo draws: exact (all values in memory) or streamed in two passes
through equal-width histograms with a stated error bound (chipcast.uncertainty.montecarlo)."""

from __future__ import annotations

from collections.abc import Iterator

import numba
import numpy as np

from chipcast.contracts import QUANTILES

DEFAULT_BINS = 2048


# Every quantile of draws is Hazen's (R type 5): the k-th of n sorted values sits at (k - 1/2)
# / n. Its weighted form (weighted_quantiles) is the natural one (a draw sits at the middle of
# its weight), so the prior's and the calibrated forecast's quantiles share one definition.
QUANTILE_METHOD = "hazen"


def exact_quantiles(values: np.ndarray, qs: tuple[float, ...] = QUANTILES,
                    block: int = 2048) -> np.ndarray:
    """(len(qs), n_series) quantiles over axis 0 (QUANTILE_METHOD), computed a column block at
    a time so the sort copy stays small. Each block is transposed first so that numpy selects
    along contiguous rows (along the strided draw axis it is an order of magnitude slower);
    the values are the same."""
    out = np.empty((len(qs), values.shape[1]))
    for j in range(0, values.shape[1], block):
        rows = np.ascontiguousarray(values[:, j:j + block].T)
        out[:, j:j + block] = np.quantile(rows, qs, axis=1, method=QUANTILE_METHOD)
    return out


def bin_counts(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, bins: int, block: int,
               weights: np.ndarray | None = None) -> Iterator[tuple[slice, np.ndarray]]:
    """Per block of series: (the block's slice, its (k, bins) counts of values (D, n) in
    `bins` equal-width bins between lo and hi (n,), each draw counted once or by its weight)."""
    span = hi - lo
    scale = np.divide(bins, span, out=np.zeros_like(span), where=span > 0)
    for j in range(0, lo.size, block):
        sl = slice(j, j + block)
        idx = ((values[:, sl] - lo[sl]) * scale[sl]).astype(np.int64)
        np.clip(idx, 0, bins - 1, out=idx)
        k = idx.shape[1]
        idx += (np.arange(k) * bins)[None, :]
        w = None if weights is None else np.broadcast_to(weights[:, None], idx.shape).ravel()
        yield sl, np.bincount(idx.ravel(), weights=w, minlength=k * bins).reshape(k, bins)


@numba.njit(cache=True, parallel=True)
def _count(values: np.ndarray, lo: np.ndarray, scale: np.ndarray, counts: np.ndarray,
           block: int) -> None:  # pragma: no cover
    """Adds each value (D, n) to its bin of counts (n, bins): bin = trunc((v - lo) x scale),
    clamped to [0, bins - 1] (NaN: bin 0), as bin_counts. Threads take whole blocks of series,
    so a count is never shared and any thread count gives the same counts."""
    n_d, n = values.shape
    last = counts.shape[1] - 1
    for first in numba.prange((n + block - 1) // block):
        j0 = first * block
        j1 = min(j0 + block, n)
        for d in range(n_d):
            for j in range(j0, j1):
                x = (values[d, j] - lo[j]) * scale[j]
                if x >= last:  # also keeps int() away from inf
                    counts[j, last] += 1
                elif x >= 0:
                    counts[j, int(x)] += 1
                else:  # below the range (float noise) or NaN
                    counts[j, 0] += 1


@numba.njit(cache=True, parallel=True)
def _observe(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, total: np.ndarray,
             block: int) -> None:  # pragma: no cover
    """Folds a chunk (D, n) into each series' min, max (NaN propagates, as np.minimum) and
    float64 sum, adding draws in order; threads take whole blocks of series."""
    n_d, n = values.shape
    for first in numba.prange((n + block - 1) // block):
        j0 = first * block
        j1 = min(j0 + block, n)
        for d in range(n_d):
            for j in range(j0, j1):
                x = np.float64(values[d, j])
                if x < lo[j] or np.isnan(x):
                    lo[j] = x
                if x > hi[j] or np.isnan(x):
                    hi[j] = x
                total[j] += x


class HistogramQuantiles:
    """Streamed quantiles with a stated error: feed every chunk to `observe` (pass 1), then
    every chunk again, in any order, to `count` (pass 2); `quantiles()` is within
    (max - min) / bins of the exact linear quantile, per series."""

    def __init__(self, n_series: int, bins: int = DEFAULT_BINS, block: int = 1024):
        self.bins, self.block = bins, block
        self.lo = np.full(n_series, np.inf)
        self.hi = np.full(n_series, -np.inf)
        self.total = np.zeros(n_series)
        self.n = 0
        self.counts: np.ndarray | None = None

    def observe(self, values: np.ndarray) -> None:
        """Pass 1: each series' min, max and sum (float64, in draw order) over a chunk (D, n)."""
        _observe(values, self.lo, self.hi, self.total, 16)
        self.n += values.shape[0]

    @property
    def width(self) -> np.ndarray:
        """Bin width of each series: the stated error bound of its quantiles."""
        return (self.hi - self.lo) / self.bins

    def count(self, values: np.ndarray) -> None:
        """Adds a chunk's values (D, n) to the bins (a compiled loop, both cores)."""
        if self.counts is None:
            self.counts = np.zeros((self.lo.size, self.bins), dtype=np.uint32)
        span = self.hi - self.lo
        scale = np.divide(self.bins, span, out=np.zeros_like(span), where=span > 0)
        _count(values, self.lo, scale, self.counts, 16)

    def mean(self) -> np.ndarray:
        return self.total / max(self.n, 1)

    def _order_stat(self, cum: np.ndarray, counts: np.ndarray, lo: np.ndarray,
                    width: np.ndarray, r: int) -> np.ndarray:
        """Estimate of the r-th smallest value (0-based) of each series in a block."""
        b = np.minimum((cum <= r).sum(axis=1), self.bins - 1)  # first bin with cum > r
        rows = np.arange(cum.shape[0])
        inside = counts[rows, b].astype(float)
        before = cum[rows, b] - inside
        pos = np.divide(r - before + 0.5, inside, out=np.full_like(inside, 0.5), where=inside > 0)
        est = lo + (b + np.clip(pos, 0.0, 1.0)) * width
        return est

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(len(qs), n_series) estimates, each within `width` of the exact quantile
        (QUANTILE_METHOD: the rank n q - 1/2, 0-based, interpolated)."""
        if self.counts is None:
            raise RuntimeError("count() every chunk before asking for quantiles")
        n = self.n
        out = np.empty((len(qs), self.lo.size))
        for j in range(0, self.lo.size, self.block):
            sl = slice(j, j + self.block)
            counts = self.counts[sl].astype(np.int64)
            cum = np.cumsum(counts, axis=1)
            lo, hi, width = self.lo[sl], self.hi[sl], self.width[sl]
            for i, q in enumerate(qs):
                h = min(max(n * q - 0.5, 0.0), n - 1.0)  # Hazen's 0-based rank
                k = int(np.floor(h))
                frac = h - k
                ests = []
                for r in (k, min(k + 1, n - 1)):
                    # the extremes are known exactly
                    if r == 0:
                        ests.append(lo.copy())
                    elif r == n - 1:
                        ests.append(hi.copy())
                    else:
                        ests.append(self._order_stat(cum, counts, lo, width, r))
                out[i, sl] = np.clip(ests[0] * (1 - frac) + ests[1] * frac, lo, hi)
        return out


def weighted_sum(values: np.ndarray, weights: np.ndarray, block: int = 1024) -> np.ndarray:
    """(n,) sum over draws of weights (D,) x values (D, n), a column block at a time with
    numpy's pairwise sum: unlike a BLAS product its result does not depend on the machine's
    thread count, so a run gives identical numbers in any process."""
    out = np.empty(values.shape[1])
    for j in range(0, values.shape[1], block):
        out[j:j + block] = (weights[:, None] * values[:, j:j + block]).sum(axis=0)
    return out


def weighted_quantiles(values: np.ndarray, weights: np.ndarray,
                       qs: tuple[float, ...] = QUANTILES, block: int = 1024) -> np.ndarray:
    """(len(qs), n_series) quantiles over axis 0 of values (D, n) with draw weights (D,):
    linear interpolation of the sorted values at plotting positions (cumulative weight - w/2)
    / total weight (ties in draw order), clamped to the extreme values; equal weights give
    exactly Hazen's quantiles (exact_quantiles). Draws of weight 0 take no part (those a
    calibration ruled out). Vectorised a column block at a time."""
    w = np.asarray(weights, dtype=float)
    if (w < 0).any() or not (w > 0).any():
        raise ValueError("weights must be >= 0 with at least one > 0")
    keep = w > 0
    if not keep.all():
        values, w = values[keep], w[keep]
    if values.shape[0] == 1:
        return np.repeat(values[:1].astype(float), len(qs), axis=0)
    out = np.empty((len(qs), values.shape[1]))
    for j in range(0, values.shape[1], block):
        v = values[:, j:j + block]
        order = np.argsort(v, axis=0, kind="stable")
        sv = np.take_along_axis(v, order, axis=0).astype(float)
        sw = w[order]
        pos = (np.cumsum(sw, axis=0) - 0.5 * sw) / sw.sum(axis=0)  # (D, k) increasing
        for i, q in enumerate(qs):
            hi = np.clip((pos < q).sum(axis=0), 1, v.shape[0] - 1)  # first position >= q
            cols = np.arange(v.shape[1])
            p0, p1 = pos[hi - 1, cols], pos[hi, cols]
            frac = np.clip(np.divide(q - p0, p1 - p0, out=np.zeros_like(p0),
                                     where=p1 > p0), 0.0, 1.0)
            out[i, j:j + block] = sv[hi - 1, cols] + frac * (sv[hi, cols] - sv[hi - 1, cols])
    return out


class WeightedHistogram:
    """Streamed weighted quantiles: after HistogramQuantiles' first pass gives each series'
    min and max, `count(values, weights)` adds every chunk's draws with their weights to
    equal-width bins; `quantiles()` reads the bin where the cumulative weight reaches q,
    interpolating inside it, so each estimate lies within (max - min) / bins of the weighted
    quantile. Counts are float32: memory is series x bins x 4 bytes."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, bins: int = DEFAULT_BINS,
                 block: int = 1024):
        self.lo, self.hi, self.bins, self.block = lo, hi, bins, block
        self.counts = np.zeros((lo.size, bins), dtype=np.float32)
        self.total = np.zeros(lo.size)
        self.weight = 0.0

    def count(self, values: np.ndarray, weights: np.ndarray) -> None:
        self.total += weighted_sum(values, weights)
        self.weight += float(weights.sum())
        for sl, counts in bin_counts(values, self.lo, self.hi, self.bins, self.block, weights):
            self.counts[sl] += counts.astype(np.float32)

    def mean(self) -> np.ndarray:
        return self.total / max(self.weight, 1e-300)

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(len(qs), n_series) weighted quantile estimates (class docstring)."""
        out = np.empty((len(qs), self.lo.size))
        width = (self.hi - self.lo) / self.bins
        for j in range(0, self.lo.size, self.block):
            sl = slice(j, j + self.block)
            counts = self.counts[sl].astype(float)
            cum = np.cumsum(counts, axis=1)
            total = cum[:, -1:]
            cum = np.divide(cum, total, out=np.zeros_like(cum), where=total > 0)
            rows = np.arange(cum.shape[0])
            for i, q in enumerate(qs):
                b = np.minimum((cum < q).sum(axis=1), self.bins - 1)  # first bin reaching q
                inside = counts[rows, b] / np.maximum(total[:, 0], 1e-300)
                before = cum[rows, b] - inside
                pos = np.divide(q - before, inside, out=np.full_like(inside, 0.5),
                                where=inside > 0)
                est = self.lo[sl] + (b + np.clip(pos, 0.0, 1.0)) * width[sl]
                out[i, sl] = np.clip(est, self.lo[sl], self.hi[sl])
        return out
