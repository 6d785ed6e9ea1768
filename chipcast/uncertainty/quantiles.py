"""Quantiles over Monte Carlo draws: exact (all values in memory) or streamed through
equal-width histograms with a stated error bound (chipcast.uncertainty.montecarlo): in two
passes (HistogramQuantiles: the range first, then the counts) or in one pass over a pilot range
(OnePassHistogram), with a second pass only for the series whose quantiles fall outside it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

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


@numba.njit(cache=True, parallel=True)
def _count(values: np.ndarray, lo: np.ndarray, scale: np.ndarray, counts: np.ndarray,
           block: int) -> None:  # pragma: no cover
    """Adds each value (D, n) to its bin of counts (n, bins): bin = trunc((v - lo) x scale),
    clamped to [0, bins - 1] (NaN: bin 0). Threads take whole blocks of series,
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


@numba.njit(cache=True, parallel=True)
def _rank_bins(counts: np.ndarray, below: np.ndarray, ranks: np.ndarray, b: np.ndarray,
               inside: np.ndarray, before: np.ndarray) -> None:  # pragma: no cover
    """For each series (rows of counts (n, bins), with `below` values under its first bin) and
    each 0-based rank r (`ranks`, ascending): the first bin whose cumulative count exceeds r
    (the last bin when none does), the values in it and the values before it, written at
    [i, j] of b, inside and before ((len(ranks), n)). One walk along each row, instead of a
    comparison of every bin with every rank."""
    n, bins = counts.shape
    n_r = ranks.size
    for j in numba.prange(n):
        cum = below[j]
        i = 0
        for k in range(bins):
            c = np.int64(counts[j, k])
            cum += c
            while i < n_r and ranks[i] < cum:
                b[i, j], inside[i, j], before[i, j] = k, c, cum - c
                i += 1
            if i == n_r:
                break
        while i < n_r:
            c = np.int64(counts[j, bins - 1])
            b[i, j], inside[i, j], before[i, j] = bins - 1, c, cum - c
            i += 1


def _binned_quantiles(counts: np.ndarray, below: np.ndarray, n: int, start: np.ndarray,
                      width: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                      qs: tuple[float, ...]) -> np.ndarray:
    """(len(qs), n_series) Hazen quantiles of n values per series from their counts (n_series,
    bins) over bins of `width` from `start`, `below` values under the first bin: an order
    statistic in a bin is placed at its rank's share of the bin (the bin's middle for a
    one-value bin), the extremes (ranks 0 and n - 1) are the exact min `lo` and max `hi`, and
    each quantile interpolates its two ranks and is clamped to [lo, hi]."""
    pairs = [_hazen_ranks(n, q) for q in qs]
    ranks = np.unique([r for k0, k1, _ in pairs for r in (k0, k1) if 0 < r < n - 1])
    shape = (ranks.size, counts.shape[0])
    b = np.empty(shape, dtype=np.int64)
    inside, before = np.empty(shape, dtype=np.int64), np.empty(shape, dtype=np.int64)
    _rank_bins(counts, below.astype(np.int64), ranks.astype(np.int64), b, inside, before)

    def order_stat(r: int) -> np.ndarray:
        if r == 0:  # the extremes are known exactly
            return lo
        if r == n - 1:
            return hi
        i = int(np.searchsorted(ranks, r))
        filled = inside[i].astype(float)
        pos = np.divide(r - before[i] + 0.5, filled, out=np.full_like(filled, 0.5),
                        where=filled > 0)
        return start + (b[i] + np.clip(pos, 0.0, 1.0)) * width

    out = np.empty((len(qs), counts.shape[0]))
    for i, (k0, k1, frac) in enumerate(pairs):
        with np.errstate(invalid="ignore"):
            out[i] = np.clip(order_stat(k0) * (1 - frac) + order_stat(k1) * frac, lo, hi)
    return out


class HistogramQuantiles:
    """Streamed quantiles with a stated error: feed every chunk to `observe` (pass 1), then
    every chunk again, in any order, to `count` (pass 2); `quantiles()` is within
    (max - min) / bins of the exact linear quantile, per series."""

    def __init__(self, n_series: int, bins: int = DEFAULT_BINS):
        self.bins = bins
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

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(len(qs), n_series) estimates, each within `width` of the exact quantile
        (QUANTILE_METHOD: the rank n q - 1/2, 0-based, interpolated)."""
        if self.counts is None:
            raise RuntimeError("count() every chunk before asking for quantiles")
        return _binned_quantiles(self.counts, np.zeros(self.lo.size, dtype=np.int64), self.n,
                                 self.lo, self.width, self.lo, self.hi, qs)


@numba.njit(cache=True, inline="always")
def _bin(x: float, start: float, stop: float, sc: float, last: int) -> int:  # pragma: no cover
    """x's bin in the pilot range [start, stop]: trunc((x - start) x sc), clamped to the last;
    -1 below the range (or NaN), -2 above it."""
    if x >= start:
        if x > stop:
            return -2
        y = (x - start) * sc
        return last if y >= last else int(y)
    return -1


@numba.njit(cache=True, inline="always")
def _take(x: float, b: int, row: np.ndarray, low: float, high: float, acc: float, below: int,
          above: int) -> tuple[float, float, float, int, int]:  # pragma: no cover
    """One value x into a series' running min and max (a NaN sticks, as np.minimum), sum and
    count: bin b of `row` (its counts), or below (b = -1: under the pilot range, or NaN) or
    above it (b = -2)."""
    if x < low or np.isnan(x):
        low = x
    if x > high or np.isnan(x):
        high = x
    acc += x
    if b >= 0:
        row[b] += 1
    elif b == -1:
        below += 1
    else:
        above += 1
    return low, high, acc, below, above


@numba.njit(cache=True, inline="always")
def _fold_series(values: np.ndarray, keep: np.ndarray, keep2: np.ndarray, pair: bool,
                 covered: bool, start: float, stop: float, sc: float, last: int,
                 row: np.ndarray, row2: np.ndarray, state: tuple,  # type: ignore[type-arg]
                 ) -> tuple:  # type: ignore[type-arg]  # pragma: no cover
    """_fold_count's loop over one series' draws (values (D,)). state: (low, high, acc,
    below, above) of the first histogram, then of the second; returns them updated. With
    `covered` (the running [low, high] of each histogram already holds the pilot range), a
    value inside the range cannot move them, so only its bin and sum are taken (the same
    result, ~20 % less CPU). Called with literal pair and covered, so each case compiles into
    its own loop."""
    low, high, acc, below, above, low2, high2, acc2, below2, above2 = state
    for d in range(values.size):
        in1 = keep[d]
        in2 = pair and keep2[d]
        if not (in1 or in2):
            continue
        x = np.float64(values[d])
        b = _bin(x, start, stop, sc, last)
        if covered and b >= 0:
            if in1:
                acc += x
                row[b] += 1
            if in2:
                acc2 += x
                row2[b] += 1
        else:
            if in1:
                low, high, acc, below, above = _take(x, b, row, low, high, acc, below, above)
            if in2:
                low2, high2, acc2, below2, above2 = _take(x, b, row2, low2, high2, acc2,
                                                          below2, above2)
    return low, high, acc, below, above, low2, high2, acc2, below2, above2


@numba.njit(cache=True, parallel=True)
def _fold_count(values_t: np.ndarray, p_lo: np.ndarray, p_hi: np.ndarray, scale: np.ndarray,
                keep: np.ndarray, counts: np.ndarray, under: np.ndarray, over: np.ndarray,
                lo: np.ndarray, hi: np.ndarray, total: np.ndarray, keep2: np.ndarray,
                counts2: np.ndarray, under2: np.ndarray, over2: np.ndarray, lo2: np.ndarray,
                hi2: np.ndarray, total2: np.ndarray) -> None:  # pragma: no cover
    """One read of a block of series, transposed (n, D), into one histogram (counts, under,
    over, lo, hi, total) over the draws `keep` (D,) marks and, when counts2 has rows (the same
    arrays of a histogram over the same pilot range), into that one over the draws `keep2`
    marks, each value's bin found once for both. Per histogram: each series' min, max
    (NaN propagates) and float64 sum over its draws in order, as _observe; and its count:
    values in the pilot range [p_lo, p_hi] to bin trunc((v - p_lo) x scale) (clamped to the
    last bin), values below it or NaN to `under`, above it to `over`. Series by series, so a
    series' counts (8 KiB at 2,048 bins) stay in the L1 cache; threads take whole series: any
    thread count, same numbers. A series whose running min and max already hold its pilot
    range (every batch after the one that set it) takes _fold_series' covered loop."""
    pair = counts2.shape[0] > 0
    n = values_t.shape[0]
    last = counts.shape[1] - 1
    for j in numba.prange(n):
        start, stop, sc = p_lo[j], p_hi[j], scale[j]
        row = counts[j]
        row2 = counts2[j] if pair else row  # not written unless pair
        state = (lo[j], hi[j], total[j], 0, 0) + (
            (lo2[j], hi2[j], total2[j], 0, 0) if pair else (0.0, 0.0, 0.0, 0, 0))
        covered = state[0] <= start and state[1] >= stop  # False for a NaN anywhere
        v = values_t[j]
        if not pair and covered:
            state = _fold_series(v, keep, keep2, False, True, start, stop, sc, last, row,
                                 row2, state)
        elif pair and covered and state[5] <= start and state[6] >= stop:
            state = _fold_series(v, keep, keep2, True, True, start, stop, sc, last, row,
                                 row2, state)
        else:
            state = _fold_series(v, keep, keep2, pair, False, start, stop, sc, last, row,
                                 row2, state)
        lo[j], hi[j], total[j] = state[0], state[1], state[2]
        under[j] += state[3]
        over[j] += state[4]
        if pair:
            lo2[j], hi2[j], total2[j] = state[5], state[6], state[7]
            under2[j] += state[8]
            over2[j] += state[9]


FOLD_SERIES = 2048  # series transposed at once by `fold` (4,096 draws: 32 MiB)
FOLD_ROWS = 512  # draws of them transposed in one copy


def fold(values: np.ndarray, parts: list[tuple[OnePassHistogram, np.ndarray | None]]) -> None:
    """Folds a batch of draws (D, n) into histograms of the same series, each over the draws
    its mask (D,) bool keeps (all for None); a histogram without a pilot range takes this
    batch's. The batch is transposed FOLD_SERIES series at a time, once for all the histograms.

    Why batches: a series' counts (8 KiB) are read and written once per fold, so folding a few
    thousand draws at once instead of a chunk of 512 moves a fraction of the counts through
    memory (4.1 -> 1.3 ns an increment at 512 -> 4,096 draws, random bins, 42,557 series).
    Counting is order-free and each sum adds the draws in order, so any batching gives the
    same numbers."""
    n_d, n = values.shape
    masks = []
    for hist, keep in parts:
        if hist.p_lo is None:
            hist._set_pilot(values if keep is None else values[keep])
        masks.append(np.ones(n_d, dtype=np.bool_) if keep is None
                     else np.ascontiguousarray(keep, dtype=np.bool_))
    # histograms over the same pilot range go in pairs: one bin lookup per value for both
    groups: list[list[int]] = []
    for i, (hist, _) in enumerate(parts):
        mate = next((g for g in groups if len(g) == 1 and parts[g[0]][0].same_bins(hist)), None)
        if mate is None:
            groups.append([i])
        else:
            mate.append(i)
    none = OnePassHistogram(0, bins=parts[0][0].bins)._arrays(slice(None)) if parts else ()
    buf = np.empty((min(FOLD_SERIES, n), n_d), dtype=values.dtype)
    threads = min(numba.get_num_threads(), -(-n_d // FOLD_ROWS))
    with ThreadPoolExecutor(threads) if threads > 1 else nullcontext() as pool:
        for j0 in range(0, n, FOLD_SERIES):
            sl = slice(j0, min(j0 + FOLD_SERIES, n))
            block = buf[:sl.stop - j0]
            _transpose(values, sl, block, pool, threads)
            _fold_block(block, sl, parts, masks, groups, none)
    for (hist, _), mask in zip(parts, masks, strict=True):
        hist.n += int(mask.sum())


def _transpose(values: np.ndarray, sl: slice, block: np.ndarray,
               pool: ThreadPoolExecutor | None, threads: int) -> None:
    """block (n', D) = values[:, sl].T, FOLD_ROWS draws a copy: numpy's copy of a tall block's
    transpose reads one value from each of thousands of rows per series, 3x slower. The copies
    are shared among `threads` threads of `pool` (numpy releases the GIL while it copies):
    26.9 -> 17.0 us a draw of base's 42,557 series on 2 cores; a copy, so the same values."""
    starts = range(0, values.shape[0], FOLD_ROWS)

    def copy(k: int) -> None:
        for d0 in starts[k::threads]:
            np.copyto(block[:, d0:d0 + FOLD_ROWS], values[d0:d0 + FOLD_ROWS, sl].T)

    if pool is None:
        copy(0)
    else:
        list(pool.map(copy, range(threads)))


def _fold_block(block: np.ndarray, sl: slice,
                parts: list[tuple[OnePassHistogram, np.ndarray | None]],
                masks: list[np.ndarray], groups: list[list[int]],
                none: tuple[np.ndarray, ...]) -> None:
    """_fold_count of one transposed block of series (block (n', D): the series `sl`) into
    every histogram of `parts`, paired as `groups` says."""
    for group in groups:
        hist, mask = parts[group[0]][0], masks[group[0]]
        assert hist.p_lo is not None
        if len(group) == 2:
            other, mask2 = parts[group[1]][0], masks[group[1]]
            second = other._arrays(sl)
        else:
            mask2, second = mask, none
        _fold_count(block, hist.p_lo[sl], hist.p_hi[sl], hist._scale[sl], mask,
                    *hist._arrays(sl), mask2, *second)


def _hazen_ranks(n: int, q: float) -> tuple[int, int, float]:
    """The two 0-based ranks Hazen's quantile q of n values interpolates, and the weight of
    the second."""
    h = min(max(n * q - 0.5, 0.0), n - 1.0)
    k = int(np.floor(h))
    return k, min(k + 1, n - 1), h - k


class OnePassHistogram:
    """Streamed quantiles, in one pass where possible: `add` every chunk. The first chunk's
    per-series min and max become the pilot range, split into `bins` equal-width bins; values
    of later chunks outside it go to under/overflow counts. Each series' exact min, max and
    sum are kept all along. A quantile's order statistics that fall inside the pilot range are
    read from its bins, within one bin width, (pilot max - pilot min) / bins <= (max - min) /
    bins: the two-pass bound, or better. `outside(qs)` lists the series where one falls in the
    under/overflow; for those (usually none), `recount` every chunk again (second pass) after
    `start_recount`, and they get HistogramQuantiles' two-pass estimates over their full
    range. Memory: series x bins x 4 bytes (plus the same per recounted series)."""

    def __init__(self, n_series: int, bins: int = DEFAULT_BINS,
                 pilot: np.ndarray | None = None):
        self.bins = bins
        self.lo = np.full(n_series, np.inf)
        self.hi = np.full(n_series, -np.inf)
        self.total = np.zeros(n_series)
        self.n = 0
        self.under = np.zeros(n_series, dtype=np.int64)
        self.over = np.zeros(n_series, dtype=np.int64)
        self.counts = np.zeros((n_series, bins), dtype=np.uint32)
        self.p_lo: np.ndarray | None = None
        self.p_hi = np.zeros(n_series)
        self._scale = np.zeros(n_series)
        self._refine: np.ndarray | None = None  # indices of the recounted series
        self._second: HistogramQuantiles | None = None
        if pilot is not None:
            self._set_pilot(pilot)

    def _set_pilot(self, values: np.ndarray) -> None:
        with np.errstate(invalid="ignore"):
            p_lo = np.fmin.reduce(values, axis=0).astype(np.float64)  # NaN ignored
            p_hi = np.fmax.reduce(values, axis=0).astype(np.float64)
        self.p_lo = np.nan_to_num(p_lo, nan=0.0)
        self.p_hi = np.nan_to_num(p_hi, nan=0.0)
        span = self.p_hi - self.p_lo
        self._scale = np.divide(self.bins, span, out=np.zeros_like(span), where=span > 0)

    def add(self, values: np.ndarray, keep: np.ndarray | None = None) -> None:
        """Folds draws (D, n), those `keep` (D,) marks when given, into the extremes, sums and
        counts (a compiled loop, both cores); the first call also sets the pilot range, unless
        `pilot` (values (D', n), e.g. a run's first chunk, so that histograms of ranges of
        draws made apart share their bins and can be merged) did. `fold` adds one batch to
        several histograms."""
        fold(values, [(self, keep)])

    def same_bins(self, other: OnePassHistogram) -> bool:
        """Both have a pilot range and it is the same (so a value falls in the same bin)."""
        return (self.p_lo is not None and other.p_lo is not None and self.bins == other.bins
                and np.array_equal(self.p_lo, other.p_lo)
                and np.array_equal(self.p_hi, other.p_hi))

    def _arrays(self, sl: slice) -> tuple[np.ndarray, ...]:
        """What _fold_count updates, for the series `sl`."""
        return (self.counts[sl], self.under[sl], self.over[sl], self.lo[sl], self.hi[sl],
                self.total[sl])

    def merge(self, other: OnePassHistogram) -> None:
        """Adds another histogram of other draws over the same pilot range (ranges of one run
        counted in other processes): counts, under/overflow and draws add, extremes combine;
        the sums add (so the mean may differ from one process's in the last digits)."""
        if other.p_lo is None or self.p_lo is None:
            raise ValueError("merge histograms that have counted draws")
        if not (np.array_equal(self.p_lo, other.p_lo) and np.array_equal(self.p_hi, other.p_hi)
                and self.bins == other.bins):
            raise ValueError("histograms with different bins cannot be merged")
        if self._refine is not None or other._refine is not None:
            raise ValueError("merge before the second pass")
        self.counts += other.counts
        self.under += other.under
        self.over += other.over
        self.total += other.total
        self.n += other.n
        nan = np.isnan(self.lo) | np.isnan(other.lo)
        self.lo = np.where(nan, np.nan, np.minimum(self.lo, other.lo))
        nan = np.isnan(self.hi) | np.isnan(other.hi)
        self.hi = np.where(nan, np.nan, np.maximum(self.hi, other.hi))

    @property
    def width(self) -> np.ndarray:
        """Bin width of each series, the error bound of its quantiles: the pilot's, or the
        full range's for recounted series; each <= (max - min) / bins."""
        if self.p_lo is None:
            raise RuntimeError("add() a chunk first")
        w = (self.p_hi - self.p_lo) / self.bins
        if self._refine is not None:
            w[self._refine] = (self.hi[self._refine] - self.lo[self._refine]) / self.bins
        return w

    def mean(self) -> np.ndarray:
        return self.total / max(self.n, 1)

    def outside(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(n,) True where an order statistic a quantile in qs needs (other than the extremes,
        known exactly) lies below or above the pilot range: those need a second pass."""
        n = self.n
        bad = np.zeros(self.lo.size, dtype=bool)
        finite = ~(np.isnan(self.lo) | np.isnan(self.hi))  # NaN series: NaN quantiles anyway
        for q in qs:
            k0, k1, frac = _hazen_ranks(n, q)
            for r, weight in ((k0, 1.0 - frac), (k1, frac)):
                if weight > 0 and 0 < r < n - 1:
                    bad |= finite & ((r < self.under) | (r >= n - self.over))
        return bad

    def start_recount(self, series: np.ndarray) -> None:
        """Prepares the second pass for these series (a boolean mask or indices), binned over
        their full range [min, max]."""
        idx = np.flatnonzero(series) if series.dtype == bool else np.asarray(series)
        self._refine = idx
        second = HistogramQuantiles(idx.size, bins=self.bins)
        second.lo, second.hi = self.lo[idx].copy(), self.hi[idx].copy()
        second.total, second.n = self.total[idx].copy(), self.n
        self._second = second

    def recount(self, values: np.ndarray) -> None:
        """Second pass: counts a chunk's values (D, n) of the series being recounted."""
        if self._second is None or self._refine is None:
            raise RuntimeError("start_recount() before recount()")
        if self._refine.size:
            self._second.count(np.ascontiguousarray(values[:, self._refine]))

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
        """(len(qs), n_series) estimates, each within `width` of the exact quantile
        (QUANTILE_METHOD); series `outside` the pilot range need the second pass first."""
        if self.p_lo is None:
            raise RuntimeError("add() every chunk before asking for quantiles")
        left = self.outside(qs)
        if self._refine is not None:
            left[self._refine] = False
        if left.any():
            raise RuntimeError(f"{int(left.sum())} series need the second pass (recount)")
        out = _binned_quantiles(self.counts, self.under, self.n, self.p_lo,
                                (self.p_hi - self.p_lo) / self.bins, self.lo, self.hi, qs)
        if self._second is not None and self._refine is not None and self._refine.size:
            out[:, self._refine] = self._second.quantiles(qs)
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
    if np.all(w[keep] == w[keep][0]):
        # Equal weights on the draws kept (a calibration's 1/kept): Hazen's quantiles of those
        # draws, by selection instead of a full sort (the same values up to float rounding of
        # the interpolation, ~1e-13 relative; 4x less CPU on 4,096 x 42,557 values).
        return exact_quantiles(values[keep] if not keep.all() else values, qs)
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
