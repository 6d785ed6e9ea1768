"""Draws of uncertain inputs: samplers, seeds, ranges of draws, copula rank correlation,
marginals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numba
import numpy as np
import polars as pl
import pytest
from fixture_data import copy_data
from scipy import special, stats

from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model.distributions import frozen
from chipcast.model.params import Parameter, parameters
from chipcast.uncertainty.sampling import (
    _TABLE,
    DrawPlan,
    PertQuantile,
    _betacf,
    _start,
    correlation_matrix,
    draw_plan,
    normal_correlation,
    uncertain_ids,
)

MFU = "model_classes:*:mfu"
UTIL = "usage:*:serving_utilization"
TPW = "usage:*:tokens_per_word"
CORR = """group,table,metric,rho,source
efficiency,model_classes,mfu,0.7,test
efficiency,usage,serving_utilization,0.7,test
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    folder = copy_data(tmp_path_factory.mktemp("tiny"), {"correlations.csv": CORR})
    return load_inputs(folder, "base")


def test_uncertain_ids_are_the_rows_with_a_law(inputs) -> None:
    assert uncertain_ids(parameters(inputs)) == sorted([MFU, UTIL, TPW])


@pytest.mark.parametrize("sampler", ["sobol", "lhs", "random"])
def test_same_seed_same_draws_other_seed_other_draws(inputs, sampler: str) -> None:
    params = parameters(inputs)
    a = draw_plan(inputs, params, sampler, seed=7).draw_matrix(256)
    b = draw_plan(inputs, params, sampler, seed=7).draw_matrix(256)
    c = draw_plan(inputs, params, sampler, seed=8).draw_matrix(256)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)
    # every draw lies in its law's support
    for j, pid in enumerate(uncertain_ids(params)):
        law = params[pid].law
        assert np.all((a[:, j] >= law.ppf(0)) & (a[:, j] <= law.ppf(1)))


@pytest.mark.parametrize("sampler", ["sobol", "random"])
def test_draws_do_not_depend_on_the_chunk_size(inputs, sampler: str) -> None:
    plan = draw_plan(inputs, parameters(inputs), sampler, seed=3)
    whole = plan.draw_matrix(300)
    chunked = np.concatenate(list(plan.matrices(300, 64)))
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-15)


def test_lhs_stratifies_each_chunk(inputs) -> None:
    plan = DrawPlan(parameters(inputs), sampler="lhs", seed=5)
    for u in plan.uniforms(256, 128):
        strata = np.floor(u * 128).astype(int)
        for j in range(u.shape[1]):
            assert sorted(strata[:, j]) == list(range(128))


def test_copula_gives_declared_spearman_rho_and_keeps_marginals(inputs) -> None:
    params = parameters(inputs)
    plan = draw_plan(inputs, params, "sobol", seed=11)
    x = plan.draw_matrix(4096)
    ids = plan.ids
    i, j, k = ids.index(MFU), ids.index(UTIL), ids.index(TPW)
    rho = stats.spearmanr(x[:, i], x[:, j]).statistic
    assert rho == pytest.approx(0.7, abs=0.03)
    assert abs(stats.spearmanr(x[:, i], x[:, k]).statistic) < 0.05  # not in the group
    for col, pid in ((i, MFU), (j, UTIL), (k, TPW)):
        assert stats.kstest(x[:, col], params[pid].law.cdf).pvalue > 0.01


def test_independent_without_correlations(tmp_path: Path) -> None:
    folder = copy_data(tmp_path, {"correlations.csv": "group,table,metric,rho,source\n"})
    inputs = load_inputs(folder, "base")
    x = draw_plan(inputs, parameters(inputs), "sobol", seed=11).draw_matrix(4096)
    assert abs(stats.spearmanr(x[:, 0], x[:, 1]).statistic) < 0.05


def test_correlation_matrix_membership_and_errors(inputs) -> None:
    ids = uncertain_ids(parameters(inputs))
    m = correlation_matrix(inputs.correlations, ids)
    assert m[ids.index(MFU), ids.index(UTIL)] == 0.7
    assert m[ids.index(MFU), ids.index(TPW)] == 0.0
    bad = pl.DataFrame({"group": ["g", "g"], "table": ["usage", "model_classes"],
                        "metric": ["tokens_per_word", "mfu"], "rho": [0.5, 0.6]})
    with pytest.raises(InputError, match="two values of rho"):
        correlation_matrix(bad, ids)
    out = pl.DataFrame({"group": ["g"], "table": ["usage"], "metric": ["tokens_per_word"],
                        "rho": [1.5]})
    with pytest.raises(InputError, match="outside"):
        correlation_matrix(out, ids)


def test_invalid_matrix_is_replaced_by_nearest_valid_one() -> None:
    spearman = np.full((4, 4), -0.9)
    np.fill_diagonal(spearman, 1.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = normal_correlation(spearman)
    assert any("nearest valid" in str(w.message) for w in caught)
    np.linalg.cholesky(r)  # positive definite now
    np.testing.assert_allclose(np.diag(r), 1.0)


@pytest.mark.parametrize("sampler", ["sobol", "lhs", "random"])
def test_a_range_of_draws_is_those_rows_of_the_whole_run(inputs, sampler: str) -> None:
    """Draws [start, stop) are rows start..stop-1 of a run from 0 (a study split over
    workers sees the same draws)."""
    plan = draw_plan(inputs, parameters(inputs), sampler=sampler, seed=11)
    chunk, n = 16, 100  # the last chunk is short: 100 = 6 x 16 + 4
    whole = np.concatenate(list(plan.matrices(n, chunk)))
    for start, stop in [(0, 32), (32, 64), (48, 100), (96, 100)]:
        part = np.concatenate(list(plan.matrices(stop, chunk, start)))
        assert np.array_equal(part, whole[start:stop]), (sampler, start, stop)
    with pytest.raises(ValueError, match="multiple of the chunk"):
        next(plan.uniforms(n, chunk, start=5))


def test_transform_equals_each_laws_own_ppf() -> None:
    """The shipped base scenario's draws equal every frozen law's own ppf: the PERT columns
    (compiled beta quantile) within 1e-12 of their range, the others bit for bit; with
    fast_ppf=False (scipy's beta quantile in one ufunc call) every column bit for bit
    (independent inputs: the copula is tested above)."""
    data = Path(__file__).resolve().parents[2] / "data"
    params = parameters(load_inputs(data, "base"))
    kinds = {params[pid].dist for pid in uncertain_ids(params)}
    assert {"pert", "lognormal", "triangular"} <= kinds  # every kind of law is exercised
    u = np.random.default_rng(5).random((300, len(uncertain_ids(params))))
    u[0], u[1] = 1e-13, 1 - 1e-13  # the clipped extremes
    clipped = np.clip(u, 1e-12, 1 - 1e-12)
    ids = uncertain_ids(params)
    want = np.column_stack([params[pid].law.ppf(clipped[:, j]) for j, pid in enumerate(ids)])
    np.testing.assert_array_equal(DrawPlan(params, "random", seed=3, fast_ppf=False)
                                  .transform(u), want)
    got = DrawPlan(params, "random", seed=3).transform(u)
    pert = np.array([params[pid].dist == "pert" for pid in ids])
    np.testing.assert_array_equal(got[:, ~pert], want[:, ~pert])
    width = np.array([params[pid].law.kwds["scale"] for pid in ids])[pert]
    assert (np.abs(got[:, pert] - want[:, pert]) <= 1e-12 * width).all()


def _tail_and_middle_uniforms(rows: int, cols: int, seed: int) -> np.ndarray:
    """Uniforms (rows, cols): every column gets the extremes the sampler keeps (1e-12,
    1 - 1e-12), points near the start table's edges and 1/2, then random ones."""
    edges = np.array([1e-12, 1e-11, 1e-9, 1e-7, 1e-5, 1e-3, 1 / 512, 1 / 512 + 1e-12,
                      2 / 512, 0.5 - 1e-16, 0.5, 0.5 + 1e-16, 1 - 2 / 512, 1 - 1 / 512,
                      1 - 1e-3, 1 - 1e-5, 1 - 1e-7, 1 - 1e-9, 1 - 1e-11, 1 - 1e-12])
    u = np.random.default_rng(seed).random((rows, cols))
    u[: edges.size] = edges[:, None]
    return u


@pytest.mark.parametrize("family", ["pert", "grid"])
def test_pert_quantile_matches_scipys_beta_ppf(family: str) -> None:
    """The compiled beta quantile is within 1e-12 of the range (scale) of scipy.stats.beta.ppf
    for PERT shapes (a + b = 6, a in [1, 5]) and a grid of any shapes in [1, 5] x [1, 5],
    in both tails and the middle, with loc and scale applied."""
    if family == "pert":
        a = np.concatenate([[1.0, 5.0, 3.0], np.random.default_rng(1).uniform(1, 5, 61)])
        b = 6.0 - a
    else:
        a, b = (g.ravel() for g in np.meshgrid(np.linspace(1, 5, 9), np.linspace(1, 5, 9)))
    loc = np.linspace(-3.0, 7.0, a.size)
    scale = np.linspace(0.5, 2e6, a.size)
    u = _tail_and_middle_uniforms(2000, a.size, 7)
    got = PertQuantile(a, b, scale, loc)(u)
    want = np.column_stack([stats.beta(a[j], b[j], loc=loc[j], scale=scale[j]).ppf(u[:, j])
                            for j in range(a.size)])
    err = np.abs(got - want) / scale
    assert err.max() <= 1e-12, (err.max(), np.unravel_index(err.argmax(), err.shape))


def test_pert_quantile_other_shapes_are_scipys_and_threads_do_not_matter() -> None:
    """Shapes outside the compiled kernel's tested range go to scipy (bit for bit); one
    thread or two give identical values (each element is computed alone)."""
    a = np.array([0.3, 2.0, 40.0, 1.5])
    b = np.array([2.0, 0.2, 3.0, 4.5])
    u = _tail_and_middle_uniforms(500, a.size, 3)
    got = PertQuantile(a, b, np.ones(4), np.zeros(4))(u)
    for j in range(3):
        np.testing.assert_array_equal(got[:, j], stats.beta(a[j], b[j]).ppf(u[:, j]))
    assert np.abs(got[:, 3] - stats.beta(a[3], b[3]).ppf(u[:, 3])).max() <= 1e-12
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = PertQuantile(a, b, np.ones(4), np.zeros(4))(u)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one, got)


def _pert_shapes() -> tuple[np.ndarray, np.ndarray]:
    """PERT shapes (a + b = 6): the ends, the middle, base's smallest a and random ones."""
    a = np.concatenate([[1.0, 5.0, 3.0, 27 / 19], np.random.default_rng(11).uniform(1, 5, 28)])
    return a, 6.0 - a


def test_pert_start_is_close_enough_for_one_halley_step() -> None:
    """The start table's cubic Hermite interpolant is within 1e-6 of the root (relative to
    min(x, 1 - x)) from the eighth cell in from either end, so the stopping rule (a step below
    1e-6 of x) ends after one evaluation there, and within 1e-9 in the middle 3/4 of u; a
    linear interpolant (~1e-5 mid-range) fails this. Roots from scipy.stats.beta.ppf."""
    a, b = _pert_shapes()
    quantile = PertQuantile(a, b, np.ones_like(a), np.zeros_like(a))
    cells = _TABLE
    u = np.random.default_rng(13).uniform(8 / cells, 1 - 8 / cells, 1500)
    mid = (u >= 64 / cells) & (u < 1 - 64 / cells)
    assert mid.sum() > 500 and (~mid).sum() > 100
    for j in range(a.size):
        root = stats.beta(a[j], b[j]).ppf(u)
        start = np.array([_start(p, cells, quantile._table[j], quantile._slope[j])[1]
                          for p in u])
        err = np.abs(start - root) / np.minimum(root, 1.0 - root)
        assert err.max() <= 1e-6, (a[j], u[err.argmax()], err.max())
        assert err[mid].max() <= 1e-9, (a[j], u[mid][err[mid].argmax()], err[mid].max())


def test_incomplete_beta_fraction_matches_scipys_betainc() -> None:
    """x^a (1-x)^b / (a B(a, b)) times the continued fraction is the regularised incomplete
    beta within 2e-15 (1 + |e|) relative of scipy.special.betainc, e the exponent of that
    front factor (its rounding, ~|e| ulps, dominates at small x), at shapes in [1, 5] x [1, 5]
    and x from 1e-12 up to the fraction's switch point (a + 1) / (a + b + 2), where it
    converges slowest."""
    a, b = (g.ravel() for g in np.meshgrid(np.linspace(1, 5, 9), np.linspace(1, 5, 9)))
    switch = (a + 1.0) / (a + b + 2.0)
    frac = np.concatenate([[1e-12 / switch.min(), 1e-6, 0.1, 0.5, 0.9, 0.999, 1 - 1e-12],
                           np.random.default_rng(17).random(40)])
    worst = 0.0
    for j in range(a.size):
        x = switch[j] * frac
        e = a[j] * np.log(x) + b[j] * np.log1p(-x) - special.betaln(a[j], b[j])
        got = np.exp(e) * np.array([_betacf(a[j], b[j], v) for v in x]) / a[j]
        want = special.betainc(a[j], b[j], x)
        worst = max(worst, float((np.abs(got - want) / want / (1.0 + np.abs(e))).max()))
    assert worst <= 2e-15, worst


def test_other_laws_are_scipys_a_law_at_a_time_and_unknown_ones_their_own_ppf() -> None:
    """Lognormal, triangular and uniform columns are computed a law at a time (no column left
    to a per-column ppf call in base) and equal their frozen law's ppf bit for bit; a law
    outside that list (normal-truncated) still goes through its own ppf, also bit for bit."""
    data = Path(__file__).resolve().parents[2] / "data"
    params = parameters(load_inputs(data, "base"))
    plan = DrawPlan(params, "random", seed=3)
    kinds = {params[plan.ids[j]].dist for cols, *_ in plan._vectors for j in cols}
    assert kinds == {"lognormal", "triangular", "uniform"}
    assert plan._others == []
    laws = {"t": frozen("normal-truncated", 2.0, 1.0, None, 4.0),
            "l": frozen("lognormal", 5.0, 1.0, None, 30.0),
            "g": frozen("triangular", 0.3, 0.0, 0.1, 1.0)}
    mixed = {k: Parameter(k, 1.0, "x", "?", law, "test") for k, law in laws.items()}
    plan = DrawPlan(mixed, "random", seed=3)
    assert [plan.ids[j] for j in plan._others] == ["t"]
    u = _tail_and_middle_uniforms(400, 3, 19)
    got = plan.transform(u)
    clipped = np.clip(u, 1e-12, 1 - 1e-12)
    for j, pid in enumerate(plan.ids):
        np.testing.assert_array_equal(got[:, j], laws[pid].ppf(clipped[:, j]))


def test_paramset_values_are_read_only_and_the_plans_views_do_not_travel(inputs) -> None:
    """DrawPlan.paramset hands ParamSet read-only views (its columns as they are, point values
    from views built once per chunk size): the values are the matrix's and the point values,
    none can be written through, and a pickled plan leaves the cached views behind."""
    import pickle

    params = parameters(inputs)
    plan = draw_plan(inputs, params, seed=5)
    x = plan.draw_matrix(300)
    size = len(pickle.dumps(plan))
    ps = plan.paramset(x)
    for j, pid in enumerate(plan.ids):
        assert np.array_equal(ps[pid], x[:, j])
    fixed = [k for k in params if k not in set(plan.ids)]
    assert fixed and all(np.all(ps[k] == params[k].value) for k in fixed)
    for k in (plan.ids[0], fixed[0]):
        assert ps[k].shape == (300,) and not ps[k].flags.writeable
        with pytest.raises(ValueError):
            ps[k][0] = 1.0
    assert x.flags.writeable  # the caller's matrix itself is untouched
    # the views stay behind (pickled, they would be 300 float64 values per parameter)
    assert len(pickle.dumps(plan)) < size + 300 * len(params) * 8 / 2
    again = pickle.loads(pickle.dumps(plan))
    assert again._fixed == {}
    assert np.array_equal(again.draw_matrix(300), x)
