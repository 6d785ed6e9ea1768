"""The given-data sensitivity's fast path (issue 13) equals the code it replaced to the bit: the
binned S1 and its bootstrap half-widths (ranks counted from one sort instead of a sort per
resample), ties, constant and discrete inputs included. The reference:
tests/fixtures/given_data_reference.py (the previous code, verbatim)."""

from __future__ import annotations

import given_data_reference as reference
import numpy as np
import pytest
from fixture_data import copy_data

from chipcast.inputs import load_inputs
from chipcast.uncertainty import sensitivity


def _awkward_inputs(n: int, seed: int) -> np.ndarray:
    """(n, 9) inputs with every kind of tie: continuous, rounded, a few levels, two levels,
    constant, repeated draws, signed zeros, integers and a NaN-free mixture."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 9))
    x[:, 1] = np.round(x[:, 1], 1)  # ties everywhere
    x[:, 2] = rng.integers(0, 3, n)  # three levels: whole intervals tie
    x[:, 3] = rng.random(n) < 0.1  # mostly one value
    x[:, 4] = 2.5  # constant
    x[:, 5] = x[rng.integers(0, n // 4, n), 5]  # each value drawn about four times
    x[:, 6] = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # equal zeros of both signs
    x[:, 7] = rng.integers(0, n // 2, n)
    x[:, 8] = np.where(rng.random(n) < 0.3, 1.0, rng.random(n))  # an atom in a continuum
    return x


def _outputs(x: np.ndarray) -> np.ndarray:
    """(n, 4) outputs: a smooth one, a rounded (tied) one, a constant one, a scaled copy."""
    y = np.sin(2 * np.pi * x[:, 0]) + 3 * x[:, 1] ** 2 + x[:, 2] * x[:, 8] + x[:, 7] / x.shape[0]
    return np.stack([y, np.round(y, 1), np.full(x.shape[0], 4.0), -2 * y], axis=1)


@pytest.mark.parametrize("n", [1000, 999, 4096])
def test_binned_s1_equals_the_sort_per_resample_reference(n: int) -> None:
    x = _awkward_inputs(n, n)
    y = _outputs(x)
    bins = sensitivity.binned_bins(n)
    np.testing.assert_array_equal(sensitivity._correlation_ratio(x, y, bins),
                                  reference._correlation_ratio(x, y, bins))
    for resamples, seed in ((10, 1), (3, 20231)):
        got = sensitivity.binned_s1(x, y, resamples, seed)
        want = reference.binned_s1(x, y, resamples, seed)
        for g, w in zip(got, want, strict=True):
            assert np.array_equal(g, w, equal_nan=True)
    # the constant output's ratio is 0 for every input: S1 is the bias correction alone
    s1, conf = got
    null = (bins - 1) / (n - 1)
    np.testing.assert_allclose(s1[2], -null / (1 - null), rtol=1e-12)
    assert np.all(np.abs(conf[2]) < 1e-15)


def test_a_resample_is_ranked_as_a_stable_sort_of_it_ranks() -> None:
    # the counting sort directly: bins of x[idx] from the original's tie keys equal the bins of
    # a stable argsort of x[idx] (draw order breaks ties, repeated draws included)
    n, bins = 500, 7
    x = _awkward_inputs(n, 3)
    idx = np.random.default_rng(4).integers(0, n, n)
    counts, sums = sensitivity._bin_sums(sensitivity._tie_keys(x), idx,
                                        np.arange(n, dtype=float)[:, None], bins)
    xr = x[idx]
    ranks = np.empty((n, x.shape[1]), dtype=np.int64)
    np.put_along_axis(ranks, np.argsort(xr, axis=0, kind="stable"),
                      np.arange(1, n + 1)[:, None], axis=0)
    which = (ranks * bins + n - 1) // n - 1
    for i in range(x.shape[1]):
        np.testing.assert_array_equal(counts[i], np.bincount(which[:, i], minlength=bins))
        # position k of the resample carries weight k: each bin's sum names its members
        np.testing.assert_array_equal(
            sums[i, :, 0], np.bincount(which[:, i], weights=np.arange(n), minlength=bins))


def test_nan_inputs_share_one_tie_key() -> None:
    # a sort puts NaNs last in draw order: in a resample too, so they must tie with each other
    x = np.array([[np.nan], [1.0], [np.nan], [0.5], [1.0]])
    np.testing.assert_array_equal(sensitivity._tie_keys(x)[0], [3, 1, 3, 0, 1])
    y = np.arange(5.0)[:, None]
    idx = np.array([2, 0, 4, 0, 1])
    np.testing.assert_array_equal(
        sensitivity._correlation_ratio(x, y, 2, idx, sensitivity._tie_keys(x)),
        reference._correlation_ratio(x[idx], y[idx], 2))


def test_given_data_frame_equals_the_reference_on_the_model(tmp_path) -> None:
    from chipcast.uncertainty.montecarlo import run_monte_carlo

    inputs = load_inputs(copy_data(tmp_path), "base")
    mc = run_monte_carlo(inputs, 512, seed=5)
    got = sensitivity.given_data("base", mc.inputs, mc.input_ids, mc.headlines, seed=9)
    want = reference.given_data("base", mc.inputs, mc.input_ids, mc.headlines, seed=9)
    assert got["pawn"].drop_nulls().len() > 0 and got.equals(want)


@pytest.mark.parametrize("case", ["plain", "ties and NaN", "constant input", "few draws",
                                  "many draws", "NaN output"])
def test_pawn_median_equals_salibs_pawn(case: str) -> None:
    """The package's PAWN loop against SALib's pawn.analyze (median): equal-count slides from
    nanquantile edges, the largest x in no slide, NaN inputs in none, a constant input with
    every slide empty (NaN), float32 draws as the kept sample holds them, an output with a
    NaN draw (NaN wherever it counts, as scipy's KS gives). To the bit up to
    10,000 draws (scipy's default KS reports the exact fraction there); beyond, scipy's float
    statistic and the exact fraction differ by a few ulps."""
    rng = np.random.default_rng(11)
    n = {"few draws": 70, "many draws": 12_000}.get(case, 3000)
    x = rng.random((n, 4))
    if case == "ties and NaN":
        x[:, 1] = np.round(x[:, 1] * 6)  # 7 values: slides share edges, some are empty
        x[rng.random(n) < 0.05, 2] = np.nan
    if case == "constant input":
        x[:, 3] = 0.25
    y = np.exp(2 * x[:, 0]) + np.nan_to_num(x[:, 2]) * 0.3 + rng.normal(0, 0.2, n)
    if case == "NaN output":
        y[7] = np.nan
    x, y = x.astype(np.float32), y.astype(np.float32)
    got = sensitivity.pawn_median(x, y)
    want = reference.pawn_median(x, y)
    if case == "NaN output":  # every slide's distance is NaN: the whole sample is compared
        assert np.isnan(got).all() and np.isnan(want).all()
        return
    if n <= 10_000:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_array_max_ulp(got, want, maxulp=8)
    assert got[0] > got[1] and got[0] > 0.3  # the driving input ranks first
    assert np.isnan(got[3]) == (case == "constant input")


def test_ks_distance_is_the_exact_fraction() -> None:
    """max |F_a - F_b| over the pooled values, counted in integers (an independent exact
    computation), for sizes with small and large lcm, ties included."""
    from fractions import Fraction

    rng = np.random.default_rng(3)
    for n1, n2 in [(7, 4096), (1000, 4096), (3001, 12_000), (4096, 4096)]:
        a = np.round(rng.normal(0.1, 1, n1), 2)
        b = np.round(rng.normal(0, 1, n2), 2)
        pooled = np.unique(np.concatenate([a, b]))
        ca = np.searchsorted(np.sort(a), pooled, side="right")
        cb = np.searchsorted(np.sort(b), pooled, side="right")
        exact = max(abs(Fraction(int(i), n1) - Fraction(int(j), n2))
                    for i, j in zip(ca, cb, strict=True))
        assert sensitivity._ks_distance(a, b) == float(exact)
