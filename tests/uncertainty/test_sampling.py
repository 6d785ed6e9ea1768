"""Draws of uncertain inputs: samplers, seeds, ranges of draws, copula rank correlation,
marginals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import copy_data
from scipy import stats

from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model.params import parameters
from chipcast.uncertainty.sampling import (
    DrawPlan,
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


def test_transform_equals_each_laws_own_ppf_bit_for_bit() -> None:
    """The shipped base scenario's draws (PERT columns in one beta-quantile call, the others
    per law) equal every frozen law's own ppf, bit for bit (independent inputs: the copula
    is tested above)."""
    data = Path(__file__).resolve().parents[2] / "data"
    params = parameters(load_inputs(data, "base"))
    plan = DrawPlan(params, "random", seed=3)
    kinds = {params[pid].dist for pid in plan.ids}
    assert {"pert", "lognormal", "triangular"} <= kinds  # every kind of law is exercised
    u = np.random.default_rng(5).random((300, plan.dims))
    u[0], u[1] = 1e-13, 1 - 1e-13  # the clipped extremes
    got = plan.transform(u)
    clipped = np.clip(u, 1e-12, 1 - 1e-12)
    want = np.column_stack([params[pid].law.ppf(clipped[:, j])
                            for j, pid in enumerate(plan.ids)])
    np.testing.assert_array_equal(got, want)
