"""Weighted quantiles (the calibrated forecast's) against a slow reference and numpy, and the
streamed histograms against numpy's counts and their stated error bound."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from chipcast.uncertainty.quantiles import (
    HistogramQuantiles,
    OnePassHistogram,
    _rank_bins,
    exact_quantiles,
    weighted_quantiles,
)

QS = (0.0, 0.05, 0.1, 0.5, 0.9, 0.95, 1.0)


def reference(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """One series, one level, by the definition: drop weight-0 draws; sort (ties in draw
    order); a value sits at
    (the weight before it + half its own) / the total; interpolate linearly, clamped to the
    extremes."""
    pairs = sorted(((float(v), float(w), i) for i, (v, w) in enumerate(zip(values, weights,
                                                                             strict=True))
                    if w > 0), key=lambda p: (p[0], p[2]))
    total = sum(w for _, w, _ in pairs)
    positions, acc = [], 0.0
    for _, w, _ in pairs:
        positions.append((acc + w / 2) / total)
        acc += w
    xs = [v for v, _, _ in pairs]
    if q <= positions[0]:
        return xs[0]
    for k in range(1, len(xs)):
        if positions[k] >= q:
            t = (q - positions[k - 1]) / (positions[k] - positions[k - 1])
            return xs[k - 1] + t * (xs[k] - xs[k - 1])
    return xs[-1]


def test_equal_weights_are_hazens_quantiles_as_the_prior_uses() -> None:
    rng = np.random.default_rng(1)
    for n in (2, 3, 10, 257):
        v = rng.lognormal(0, 1, (n, 7))
        got = weighted_quantiles(v, np.full(n, 3.0), QS)
        np.testing.assert_allclose(got, np.quantile(v, QS, axis=0, method="hazen"), rtol=1e-12)
        np.testing.assert_allclose(exact_quantiles(v, QS), got, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unequal_weights_match_the_slow_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 60, 5
    v = np.round(rng.gamma(2.0, 3.0, (n, k)), 1)  # rounding makes ties
    w = rng.exponential(1.0, n) * (rng.random(n) > 0.2)  # some zero weights
    got = weighted_quantiles(v, w, QS, block=2)  # blocks smaller than the series count
    for i, q in enumerate(QS):
        for j in range(k):
            assert got[i, j] == pytest.approx(reference(v[:, j], w, q), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_calibrations_equal_weights_on_kept_draws_match_the_slow_reference(seed: int) -> None:
    """1/kept on the draws kept, 0 elsewhere (calibration_weights): the selection shortcut
    against the plotting-position reference, ties included."""
    rng = np.random.default_rng(seed)
    n, k = 80, 6
    v = np.round(rng.gamma(2.0, 3.0, (n, k)), 1)
    keep = rng.random(n) > 0.35
    w = keep / keep.sum()
    got = weighted_quantiles(v, w, QS)
    for i, q in enumerate(QS):
        for j in range(k):
            assert got[i, j] == pytest.approx(reference(v[:, j], w, q), rel=1e-12, abs=1e-12)


def test_weight_on_one_draw_gives_that_draw() -> None:
    v = np.array([[1.0, 30.0], [5.0, 20.0], [9.0, 10.0]])
    for hot in range(3):
        w = np.zeros(3)
        w[hot] = 1.0
        got = weighted_quantiles(v, w, QS)
        np.testing.assert_allclose(got, np.repeat(v[hot:hot + 1], len(QS), axis=0))


def test_negative_or_all_zero_weights_are_refused() -> None:
    v = np.ones((3, 1))
    with pytest.raises(ValueError):
        weighted_quantiles(v, np.zeros(3))
    with pytest.raises(ValueError):
        weighted_quantiles(v, np.array([1.0, -1.0, 1.0]))


def test_weights_shift_the_median_towards_the_heavy_draws() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(0, 1, (4000, 1))
    w = np.exp(-0.5 * ((v[:, 0] - 1.0) / 0.5) ** 2)  # a N(1, 0.5) likelihood
    med = weighted_quantiles(v, w, (0.5,))[0, 0]
    # the posterior of N(0, 1) prior x N(1, 0.5^2) likelihood is N(0.8, 0.447^2)
    assert med == pytest.approx(0.8, abs=0.05)


def bin_counts(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, bins: int, block: int
               ) -> Iterator[tuple[slice, np.ndarray]]:
    """Per block of series: (the block's slice, its (k, bins) counts of values (D, n) in
    `bins` equal-width bins between lo and hi (n,)). The numpy form of the compiled counting
    (quantiles._count), its reference here."""
    span = hi - lo
    scale = np.divide(bins, span, out=np.zeros_like(span), where=span > 0)
    for j in range(0, lo.size, block):
        sl = slice(j, j + block)
        idx = ((values[:, sl] - lo[sl]) * scale[sl]).astype(np.int64)
        np.clip(idx, 0, bins - 1, out=idx)
        k = idx.shape[1]
        idx += (np.arange(k) * bins)[None, :]
        yield sl, np.bincount(idx.ravel(), minlength=k * bins).reshape(k, bins)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_bin_counts_equal_numpy_bincount(dtype: type) -> None:
    """HistogramQuantiles.count (compiled, threads over blocks of series) against the numpy
    bin_counts it replaced, on skewed, constant, tied and NaN-holding series."""
    rng = np.random.default_rng(11)
    v = np.column_stack([rng.lognormal(0, 1.5, 5000), np.full(5000, 3.0),
                         rng.integers(0, 4, 5000).astype(float), rng.normal(0, 1, 5000)] * 40)
    v[7, 3] = np.nan
    v = v.astype(dtype)
    hist = HistogramQuantiles(v.shape[1], bins=97)
    hist.observe(v[:, :])
    for start in range(0, 5000, 1300):
        hist.count(v[start:start + 1300])
    expected = np.zeros((v.shape[1], 97), dtype=np.int64)
    with np.errstate(invalid="ignore"):  # numpy casts the NaN's bin index (then clipped to 0)
        for sl, counts in bin_counts(v, hist.lo, hist.hi, 97, block=33):
            expected[sl] += counts
    np.testing.assert_array_equal(hist.counts, expected)


@pytest.mark.parametrize("seed", [1, 2])
def test_streamed_quantiles_within_width_of_exact(seed: int) -> None:
    """The stated bound of the streamed (two-pass histogram) quantiles, |estimate - exact| <=
    (max - min) / bins, on float32 draws as the Monte Carlo keeps them."""
    rng = np.random.default_rng(seed)
    v = np.column_stack([rng.lognormal(0, 1.0, 20000), rng.exponential(2.0, 20000),
                         rng.normal(5, 1, 20000), np.where(rng.random(20000) < 0.3, 0.0,
                                                           rng.gamma(2.0, 1.0, 20000))])
    v = v.astype(np.float32)
    hist = HistogramQuantiles(v.shape[1], bins=2048)
    for start in range(0, 20000, 3000):
        hist.observe(v[start:start + 3000])
    for start in range(0, 20000, 3000):
        hist.count(v[start:start + 3000])
    exact = exact_quantiles(v, QS)
    assert (np.abs(hist.quantiles(QS) - exact) <= hist.width + 1e-9 * np.abs(exact)).all()
    np.testing.assert_allclose(hist.mean(), v.astype(float).mean(axis=0), rtol=1e-12)


def _one_pass(v: np.ndarray, chunk: int, bins: int, qs: tuple[float, ...]
              ) -> tuple[OnePassHistogram, np.ndarray]:
    """OnePassHistogram over v in chunks, the second pass run only if it asks for one."""
    hist = OnePassHistogram(v.shape[1], bins=bins)
    for start in range(0, v.shape[0], chunk):
        hist.add(v[start:start + chunk])
    refine = hist.outside(qs)
    if refine.any():
        hist.start_recount(refine)
        for start in range(0, v.shape[0], chunk):
            hist.recount(v[start:start + chunk])
    return hist, refine


@pytest.mark.parametrize("seed", [1, 2])
def test_one_pass_quantiles_within_width_of_exact(seed: int) -> None:
    """The one-pass (pilot range) histogram keeps the stated bound, |estimate - exact| <=
    width <= (max - min) / bins, on float32 draws: skewed and tied series read in one pass;
    a series whose first chunk is narrow or constant (its quantiles fall outside the pilot
    range) gets the second pass; a NaN series gives NaN as np.quantile does."""
    rng = np.random.default_rng(seed)
    n, chunk, bins = 20000, 500, 2048
    v = np.column_stack([
        rng.lognormal(0, 1.0, n), rng.exponential(2.0, n), rng.normal(5, 1, n),
        np.where(rng.random(n) < 0.3, 0.0, rng.gamma(2.0, 1.0, n)),  # a tie at 0
        np.concatenate([rng.normal(0, 0.01, chunk), rng.normal(0, 1, n - chunk)]),  # narrow
        np.concatenate([np.zeros(chunk), rng.lognormal(0, 1, n - chunk)]),  # constant pilot
        np.where(rng.random(n) < 0.997, 1.0, 2.0),  # rare values above a constant pilot
        rng.normal(0, 1, n),
    ]).astype(np.float32)
    v[0, 2] = -50.0  # an extreme in the pilot: known exactly
    v[1:, 6] = np.where(v[1:, 6] == 2.0, 2.0, 1.0)
    v[3, 7] = np.nan
    hist, refine = _one_pass(v, chunk, bins, QS)
    assert refine.tolist() == [False, False, False, False, True, True, False, False]
    got = hist.quantiles(QS)
    with np.errstate(invalid="ignore"):
        exact = exact_quantiles(v, QS)
    ok = ~np.isnan(exact).any(axis=0)
    assert np.isnan(got[:, ~ok]).all() and ok.sum() == 7
    bound = (v[:, ok].max(axis=0).astype(float) - v[:, ok].min(axis=0)) / bins
    assert (hist.width[ok] <= bound * (1 + 1e-12)).all()
    assert (np.abs(got[:, ok] - exact[:, ok]) <= hist.width[ok] + 1e-9 * np.abs(exact[:, ok])
            ).all()
    assert (np.abs(got[:, ok] - exact[:, ok]) > 0).any()  # estimates, not the exact values
    np.testing.assert_allclose(hist.mean()[ok], v[:, ok].astype(float).mean(axis=0),
                               rtol=1e-12)


def test_one_pass_histograms_of_two_ranges_merge_into_one_run() -> None:
    """Two ranges of draws counted apart over the run's pilot (its first chunk), merged, give
    the one-process histogram: the same counts and extremes, quantiles bit for bit, the mean to
    rounding; a histogram with other bins is refused."""
    rng = np.random.default_rng(4)
    v = np.column_stack([rng.lognormal(0, 1, 6000), rng.normal(0, 1, 6000),
                         np.where(rng.random(6000) < 0.5, 0.0, 1.0)]).astype(np.float32)
    whole = OnePassHistogram(3, bins=64)
    for start in range(0, 6000, 1000):
        whole.add(v[start:start + 1000])
    parts = [OnePassHistogram(3, bins=64, pilot=v[:1000]) for _ in range(2)]
    for start in range(0, 6000, 1000):
        parts[start >= 3000].add(v[start:start + 1000])
    parts[0].merge(parts[1])
    np.testing.assert_array_equal(parts[0].counts, whole.counts)
    np.testing.assert_array_equal(parts[0].lo, whole.lo)
    np.testing.assert_array_equal(parts[0].hi, whole.hi)
    assert not whole.outside(QS).any()
    np.testing.assert_array_equal(parts[0].quantiles(QS), whole.quantiles(QS))
    np.testing.assert_allclose(parts[0].mean(), whole.mean(), rtol=1e-13)
    other = OnePassHistogram(3, bins=64, pilot=v[1000:2000])
    other.add(v[:10])
    with pytest.raises(ValueError, match="different bins"):
        parts[0].merge(other)


def test_one_pass_refuses_quantiles_before_the_second_pass() -> None:
    v = np.concatenate([np.zeros((100, 1)), np.ones((900, 1))]).astype(np.float32)
    hist = OnePassHistogram(1, bins=16)
    for start in range(0, 1000, 100):
        hist.add(v[start:start + 100])
    assert hist.outside((0.5,)).tolist() == [True]
    with pytest.raises(RuntimeError, match="second pass"):
        hist.quantiles((0.5,))


def test_exact_quantiles_equal_numpy_along_the_draw_axis() -> None:
    """exact_quantiles (blocks transposed for speed) equals np.quantile over axis 0, bit for
    bit, with ties, a NaN and an odd block split."""
    rng = np.random.default_rng(8)
    v = rng.lognormal(0, 1, (999, 300)).astype(np.float32)
    v[:, 5] = 2.0
    v[::3, 7] = v[1::3, 7][:333]
    v[4, 9] = np.nan
    want = np.quantile(v, QS, axis=0, method="hazen")
    np.testing.assert_array_equal(exact_quantiles(v, QS, block=128), want)


def test_rank_bins_walk_equals_comparing_every_bin() -> None:
    """The compiled walk (_rank_bins) against the comparison it replaced: the first bin whose
    cumulative count (values below the first bin included) exceeds the rank, clamped to the
    last bin, with the values in it and before it; ranks past every count included."""
    rng = np.random.default_rng(7)
    counts = rng.integers(0, 4, size=(300, 16)).astype(np.uint32)
    counts[::7] = 0  # empty histograms: every rank falls past the counts
    counts[3, :] = 0
    counts[3, 5] = 40  # all values in one bin
    below = rng.integers(0, 6, size=300)
    ranks = np.array([0, 1, 2, 5, 11, 23, 40, 60, 200])
    b = np.empty((ranks.size, 300), dtype=np.int64)
    inside, before = np.empty_like(b), np.empty_like(b)
    _rank_bins(counts, below, ranks, b, inside, before)
    cum = np.cumsum(counts.astype(np.int64), axis=1) + below[:, None]
    rows = np.arange(300)
    for i, r in enumerate(ranks):
        want = np.minimum((cum <= r).sum(axis=1), 15)
        np.testing.assert_array_equal(b[i], want)
        np.testing.assert_array_equal(inside[i], counts[rows, want])
        np.testing.assert_array_equal(before[i], cum[rows, want] - counts[rows, want])


def test_fold_of_a_pair_equals_two_separate_folds() -> None:
    """quantiles.fold counts a prior (every draw) and a posterior (the draws a mask keeps) over
    one pilot range in one pass: the same counts, under/overflow, extremes and sums as folding
    each alone, NaN and values outside the pilot included."""
    from chipcast.uncertainty.quantiles import fold

    rng = np.random.default_rng(3)
    v = rng.normal(size=(700, 40)).astype(np.float32)
    v[5, 2] = np.nan
    v[:, 7] = 1.5  # a constant series
    pilot = v[:100] * 0.5  # narrower than the draws: some fall outside it
    keep = rng.random(700) < 0.6
    pair = [OnePassHistogram(40, bins=64, pilot=pilot) for _ in range(2)]
    alone = [OnePassHistogram(40, bins=64, pilot=pilot) for _ in range(2)]
    fold(v, [(pair[0], None), (pair[1], keep)])
    alone[0].add(v)
    alone[1].add(v[keep])
    for got, want in zip(pair, alone, strict=True):
        assert got.n == want.n
        for name in ("counts", "under", "over", "lo", "hi", "total"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    assert pair[0].over.sum() > 0 and pair[0].under.sum() > 0


def test_fold_keeps_exact_extremes_sums_and_counts_whatever_covers_the_pilot() -> None:
    """quantiles.fold, batch after batch, single and paired (a posterior over a mask), against
    numpy: the min and max (np.min/np.max, a NaN propagating), the float64 sum in draw order
    (np.cumsum's last term), the under/overflow and the bins trunc((v - lo) x bins / (hi - lo))
    of the values in the given pilot range. The series are chosen so the running min and max
    hold the pilot range at the start of a batch for some (the covered loop), only on one side
    for others, or never (the general loop)."""
    from chipcast.uncertainty.quantiles import fold

    rng = np.random.default_rng(12)
    n, bins = 1200, 32
    pilot = np.tile([[0.0], [10.0]], (1, 7)).astype(np.float32)  # every series' range [0, 10]
    v = np.column_stack([
        rng.uniform(1, 5, n),  # inside, never reaching either end: never covered
        # below the range early, never reaching its top, a new maximum in the last batch
        np.concatenate([rng.uniform(-1, 4, 1000), rng.uniform(4, 5, n - 1000)]),
        # above it, never reaching its bottom, a new minimum in the last batch
        np.concatenate([rng.uniform(6, 11, 1000), rng.uniform(5, 6, n - 1000)]),
        rng.uniform(-1, 11, n),  # both sides: covered after a few draws
        rng.normal(5, 4, n),  # both sides, with values outside
        rng.uniform(-1, 11, n),  # covered, then a NaN in a later batch
        # covered from the first batch for every draw, never for the masked ones: its top is
        # reached only by a draw the mask drops; their new maximum comes in the last batch
        np.concatenate([[-0.5, 10.5], rng.uniform(-1, 8, 998), rng.uniform(8, 9.5, n - 1000)]),
    ]).astype(np.float32)
    v[900, 5] = np.nan
    keep = rng.random(n) < 0.6
    keep[1] = False
    single = OnePassHistogram(7, bins=bins, pilot=pilot)
    pair = [OnePassHistogram(7, bins=bins, pilot=pilot) for _ in range(2)]
    for start in (0, 7, 300, 700, 1000):  # batches of 7, 293, ... draws
        stop = {0: 7, 7: 300, 300: 700, 700: 1000, 1000: n}[start]
        fold(v[start:stop], [(single, None)])
        fold(v[start:stop], [(pair[0], None), (pair[1], keep[start:stop])])
    for hist, sel in ((single, slice(None)), (pair[0], slice(None)), (pair[1], keep)):
        x = v[sel].astype(np.float64)
        np.testing.assert_array_equal(hist.lo, x.min(axis=0))
        np.testing.assert_array_equal(hist.hi, x.max(axis=0))
        np.testing.assert_array_equal(hist.total, np.cumsum(x, axis=0)[-1])
        with np.errstate(invalid="ignore"):
            inside = (x >= 0.0) & (x <= 10.0)
            np.testing.assert_array_equal(hist.under, (~(x >= 0.0)).sum(axis=0))
            np.testing.assert_array_equal(hist.over, (x > 10.0).sum(axis=0))
        b = np.minimum(np.trunc(np.where(inside, x, 0.0) * (bins / 10.0)), bins - 1)
        for j in range(7):
            want = np.bincount(b[inside[:, j], j].astype(np.int64), minlength=bins)
            np.testing.assert_array_equal(hist.counts[j], want)
    assert np.isnan(single.lo[5]) and single.hi[1] < 10.0 and single.lo[2] > 0.0
    assert single.hi[6] > 10.0 > pair[1].hi[6]
