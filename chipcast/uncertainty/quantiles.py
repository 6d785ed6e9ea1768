"""Quantiles over Monte Carlo draws: exact (all values in memory) or streamed in two passes
through equal-width histograms with a stated error bound (chipcast.uncertainty.montecarlo)."""

from __future__ import annotations

import numpy as np

from chipcast.contracts import QUANTILES

DEFAULT_BINS = 2048


def exact_quantiles(values: np.ndarray, qs: tuple[float, ...] = QUANTILES,
                    block: int = 2048) -> np.ndarray:
    """(len(qs), n_series) linear quantiles over axis 0, computed a column block at a time so the
    sort copy stays small."""
    out = np.empty((len(qs), values.shape[1]))
    for j in range(0, values.shape[1], block):
        out[:, j:j + block] = np.quantile(values[:, j:j + block], qs, axis=0)
    return out


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
        np.minimum(self.lo, values.min(axis=0), out=self.lo)
        np.maximum(self.hi, values.max(axis=0), out=self.hi)
        self.total += values.sum(axis=0)
        self.n += values.shape[0]

    def merge_bounds(self, lo: np.ndarray, hi: np.ndarray, sums: list[np.ndarray],
                     n: int) -> None:
        """Pass 1 of a range computed elsewhere: its min, max, per-chunk sums (added one by
        one, as `observe` would have) and draw count."""
        np.minimum(self.lo, lo, out=self.lo)
        np.maximum(self.hi, hi, out=self.hi)
        for part in sums:
            self.total += part
        self.n += n

    def add_counts(self, counts: np.ndarray) -> None:
        """Pass 2 of a range computed elsewhere on the same bins: its counts add up."""
        if self.counts is None:
            self.counts = np.zeros((self.lo.size, self.bins), dtype=np.uint32)
        self.counts += counts.astype(np.uint32)

    @property
    def width(self) -> np.ndarray:
        """Bin width of each series: the stated error bound of its quantiles."""
        return (self.hi - self.lo) / self.bins

    def count(self, values: np.ndarray) -> None:
        if self.counts is None:
            self.counts = np.zeros((self.lo.size, self.bins), dtype=np.uint32)
        span = self.hi - self.lo
        scale = np.divide(self.bins, span, out=np.zeros_like(span), where=span > 0)
        b = self.bins
        for j in range(0, self.lo.size, self.block):
            sl = slice(j, j + self.block)
            idx = ((values[:, sl] - self.lo[sl]) * scale[sl]).astype(np.int64)
            np.clip(idx, 0, b - 1, out=idx)
            k = idx.shape[1]
            idx += (np.arange(k) * b)[None, :]
            self.counts[sl] += np.bincount(idx.ravel(), minlength=k * b).reshape(k, b).astype(
                np.uint32)

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
        """(len(qs), n_series) estimates, each within `width` of the exact linear quantile."""
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
                h = (n - 1) * q
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
