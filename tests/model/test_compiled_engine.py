"""The compiled engine (inference.compute_inference, retention inside training_need, the
month-major stock-flow, fleet.before_totals) against the numpy functions it replaces in
`simulate` (inference.serving + inference_need, training.with_retention, the sums: kept in
the package, not called by `simulate`) and against the frozen slow reference
(tests/fixtures/engine_v0). Cases the shipped scenarios do not reach: formulas from data that
read other variables, a formula with no month-varying variable, shrinking intensity, a NaN
cluster, a formula error, one thread against two."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import pytest
from engine_v0 import demand as demand_v0

from chipcast.contracts import FORMULA_VARIABLES
from chipcast.inputs import load_inputs
from chipcast.model import fleet, supply
from chipcast.model.demand import simulate
from chipcast.model.formulas import FormulaError, parse_formula
from chipcast.model.inference import compute_inference, inference_need, serving
from chipcast.model.market import firm_sum, segment_need
from chipcast.model.params import ParamSet, parameters, point_params
from chipcast.model.structure import Structure, compile_structure, stack_optional
from chipcast.model.training import generations, training_need, with_retention
from chipcast.uncertainty.sampling import draw_plan

DATA = Path(__file__).resolve().parents[2] / "data"
RTOL = 1e-9  # against engine_v0 (its own float reorderings); the numpy path: exactly equal


def _case(scenario: str, n: int) -> tuple[Structure, ParamSet]:
    inputs = load_inputs(DATA, scenario)
    params = parameters(inputs)
    if n == 1:
        return compile_structure(inputs), point_params(params)
    plan = draw_plan(inputs, params, "sobol", seed=11)
    return compile_structure(inputs), plan.paramset(plan.draw_matrix(n))


def _numpy_path(st: Structure, ps: ParamSet) -> tuple[np.ndarray, np.ndarray]:
    gens = generations(st, ps)
    sv = serving(st, ps, gens)
    return sv.tokens, inference_need(st, ps, sv)


def _with_formulas(st: Structure, **texts: str) -> Structure:
    formulas = dict(st.formulas)
    formulas.update({k: parse_formula(v, FORMULA_VARIABLES) for k, v in texts.items()})
    return replace(st, formulas=formulas)


@pytest.mark.parametrize(("scenario", "n"), [("base", 1), ("base", 64), ("bull", 33),
                                             ("seed-2023", 16), ("export-controls-actual", 8)])
def test_compiled_serving_equals_the_numpy_path_exactly(scenario: str, n: int) -> None:
    st, ps = _case(scenario, n)
    tokens, chips = compute_inference(st, ps, generations(st, ps))
    ref_tokens, ref_chips = _numpy_path(st, ps)
    assert (ref_chips > 0).any() and chips.shape == (n, len(st.firms), st.months.size)
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(chips, ref_chips)


@pytest.mark.parametrize("texts", [
    # the formulas from data reading other variables, dividing and raising to a power
    {"tokens_per_day": "dau * questions_per_user_day * words_per_answer * tokens_per_word",
     "inference_flops_per_token": "2 * active_params + total_params / 1000"},
    # no month-varying variable: (D, F, 1) values broadcast over the months
    {"tokens_per_day": "questions_per_user_day * 1e9 * (prompt_tokens + 1)",
     "inference_flops_per_token": "3.5e11"},
    {"tokens_per_day": "dau ** 2 / 1e6 + prompt_tokens",
     "inference_flops_per_token": "(active_params + 0.5 * total_params) ** 1.5 / 1e5"},
])
def test_formulas_from_data_are_the_numpy_path_and_the_reference(texts: dict[str, str]
                                                                  ) -> None:
    st, ps = _case("base", 24)
    st = _with_formulas(st, **texts)
    tokens, chips = compute_inference(st, ps, generations(st, ps))
    ref_tokens, ref_chips = _numpy_path(st, ps)
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(chips, ref_chips)
    ref = demand_v0.simulate(st, ps)
    new = simulate(st, ps)
    for name in ("tokens", "inference", "training", "installed"):
        a, b = getattr(new, name), getattr(ref, name)
        assert np.allclose(a, b, rtol=RTOL, atol=0.0), name


def test_shrinking_intensity_and_edge_adoption_match() -> None:
    """Negative intensity growth (falling, never capped), a near-zero innovation rate and an
    intensity ceiling below 1, set on every firm."""
    st, ps = _case("base", 16)
    usage = st.usage_ids
    rng = np.random.default_rng(3)
    updates: dict[str, np.ndarray | float] = {}
    for f in range(len(st.firms)):
        updates[usage["intensity_growth"][f]] = rng.uniform(-0.3, 0.8, ps.n_draws)
        updates[usage["intensity_ceiling"][f]] = rng.uniform(0.5, 3.0, ps.n_draws)
        updates[usage["adoption_p"][f]] = rng.uniform(1e-9, 1e-3, ps.n_draws)
    ps = ps.with_values(updates)
    tokens, chips = compute_inference(st, ps, generations(st, ps))
    ref_tokens, ref_chips = _numpy_path(st, ps)
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(chips, ref_chips)


def test_a_formula_that_cannot_be_evaluated_is_a_formula_error() -> None:
    st, ps = _case("base", 4)
    st = _with_formulas(st, inference_flops_per_token="active_params / (total_params * 0)")
    with pytest.raises(FormulaError, match="cannot be evaluated"):
        simulate(st, ps)


@pytest.mark.parametrize("scenario", ["base", "seed-2023"])
def test_compiled_retention_equals_with_retention(scenario: str) -> None:
    """Retention inside the training kernel, written into a strided view of a larger array,
    against training.with_retention (numpy), a NaN cluster in one draw included (it carries
    forward as np.maximum.accumulate does)."""
    st, ps = _case(scenario, 40)
    mfu = st.releases.ids["mfu"][0]
    ps = ps.with_values({mfu: np.where(np.arange(ps.n_draws) == 3, np.nan, ps[mfu])})
    gens = generations(st, ps)
    n_f = len(st.firms)
    buyers = np.full((ps.n_draws, n_f + 2, st.months.size), -1.0)
    training_need(st, ps, gens, out=buyers[:, :n_f], retained=True)
    expected = with_retention(st, ps, training_need(st, ps, gens))
    assert (expected > 0).any() and np.isnan(expected[3]).any()
    np.testing.assert_array_equal(buyers[:, :n_f], expected)
    assert (buyers[:, n_f:] == -1.0).all()


def test_interleaved_stock_flow_equals_one_buyer_at_a_time() -> None:
    """The stock-flow with its buyers interleaved: the same additions per buyer as computing
    each buyer alone (a buyer's numbers do not depend on its neighbours)."""
    rng = np.random.default_rng(5)
    need = rng.gamma(2.0, 100.0, (6, 5, 40)).cumsum(axis=2) * rng.uniform(0.2, 1, (6, 5, 1))
    need[:, 2, 10:20] = 0.0
    life = rng.integers(3, 30, 6)
    before = rng.uniform(0, 50, (6, 5, 12))
    shipped, installed = fleet.stock_flow(need, life, before)
    for b in range(5):
        s1, i1 = fleet.stock_flow(need[:, b:b + 1], life, before[:, b:b + 1])
        np.testing.assert_array_equal(shipped[:, b], s1[:, 0])
        np.testing.assert_array_equal(installed[:, b], i1[:, 0])
    assert (installed >= need * (1 - 1e-9)).all()


def test_stock_flow_with_one_owners_pre_grid_months_equals_the_zero_filled_array() -> None:
    """`owner`: one buyer's pre-grid months (D, P) instead of a (D, B, P) array of zeros for
    the others (what `simulate` built before): the same numbers to the bit, owner < 0 too."""
    rng = np.random.default_rng(9)
    need = rng.gamma(2.0, 100.0, (6, 5, 40)).cumsum(axis=2)
    extra = rng.gamma(2.0, 10.0, (6, 5, 40))
    life = rng.integers(3, 30, 6)
    mine = rng.uniform(0, 500, (6, 12))
    for owner in (0, 3, 4):
        full = np.zeros((6, 5, 12))
        full[:, owner] = mine
        expected = fleet.stock_flow(need, life, full, extra=extra)
        got = fleet.stock_flow(need, life, mine, extra=extra, owner=owner)
        assert (expected[0][:, owner, 0] < need[:, owner, 0] + extra[:, owner, 0]).all()
        for e, g in zip(expected, got, strict=True):
            np.testing.assert_array_equal(g, e)
    expected = fleet.stock_flow(need, life, np.zeros((6, 5, 12)), extra=extra)
    for e, g in zip(expected, fleet.stock_flow(need, life, mine, extra=extra, owner=-1),
                    strict=True):
        np.testing.assert_array_equal(g, e)


def test_segment_need_written_into_views_of_the_buyers_arrays() -> None:
    """segment_need(out=...) fills every segment's rows of a buyers' array (NaN-filled here:
    nothing is left unwritten) with the numbers of the arrays it returns without `out`."""
    st, ps = _case("base", 23)
    rng = np.random.default_rng(3)
    n_f, n_g, n_m = len(st.firms), len(st.segments.names), st.months.size
    firm_t, firm_i = rng.uniform(0, 1e4, (2, ps.n_draws, n_f, n_m))
    at_start = rng.uniform(1e4, 1e5, ps.n_draws)
    expected = segment_need(st, ps, firm_t, firm_i, at_start)
    buyers = np.full((2, ps.n_draws, n_f + n_g, n_m), np.nan)
    got = segment_need(st, ps, firm_t, firm_i, at_start,
                       out=(buyers[0, :, n_f:], buyers[1, :, n_f:]))
    assert set(st.segments.drivers) == {"llm_ratio", "logistic", "installed_growth"}
    for e, g, b in zip(expected, got, buyers, strict=True):
        np.testing.assert_array_equal(b[:, n_f:], e)
        assert np.shares_memory(g, b) and np.isnan(b[:, :n_f]).all()


def test_numbers_do_not_depend_on_the_thread_count() -> None:
    st, ps = _case("bull", 37)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = simulate(st, ps)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = simulate(st, ps)
    finally:
        numba.set_num_threads(before)
    for name in ("training", "inference", "tokens", "shipped", "installed", "share_k"):
        np.testing.assert_array_equal(getattr(one, name), getattr(many, name), name)


@pytest.mark.parametrize("n_sku", [0, 1, 7, 8, 9, 42, 64, 127, 128, 129])
def test_pre_grid_totals_are_numpys_sums_to_the_bit(n_sku: int) -> None:
    """fleet.before_totals replays numpy's pairwise sum over SKUs: values spanning 16 orders
    of magnitude and signs make any other order of additions show."""
    rng = np.random.default_rng(n_sku)
    before = rng.standard_normal((4, 30, n_sku)) * 10 ** rng.uniform(-8, 8, (4, 30, n_sku))
    if n_sku > 3:
        before[2, 4, 3] = np.nan
    life = np.array([1, 7, 30, 400])
    by_month, at_start = fleet.before_totals(before, life)
    np.testing.assert_array_equal(by_month, before.sum(axis=2))
    np.testing.assert_array_equal(
        at_start, fleet.surviving_before(before, life, 1)[:, 0].sum(axis=-1))


@pytest.mark.parametrize("n_firms", [0, 1, 2, 9, 10, 33])
def test_firm_sum_is_numpys_sum_over_firms_to_the_bit(n_firms: int) -> None:
    """market.firm_sum (the llm_ratio segments' base) adds firms in numpy's order: values
    over 16 orders of magnitude, on a strided view as simulate passes it."""
    rng = np.random.default_rng(n_firms)
    shape = (16, n_firms + 3, 50)
    buyers = rng.standard_normal(shape) * 10 ** rng.uniform(-8, 8, shape)
    firms = buyers[:, :n_firms]
    np.testing.assert_array_equal(firm_sum(firms), firms.sum(axis=1))


def test_year_grids_are_the_nan_filled_stack_to_the_bit() -> None:
    """supply._per_year (copying only the rows present) against the NaN-filled stack of every
    cell through np.nan_to_num it replaces, with a NaN and infinities among the values."""
    st, ps = _case("base", 8)
    mix = st.supply.mix_ids
    present = [i for row in mix for i in row if i is not None]
    assert 0 < len(present) < sum(len(row) for row in mix)  # some cells missing
    ps = ps.with_values({present[0]: np.nan, present[1]: np.inf, present[2]: -np.inf})
    for ids in (mix, st.supply.share_ids):
        flat = stack_optional(ps, [i for row in ids for i in row])
        expected = np.nan_to_num(flat).reshape(ps.n_draws, len(ids), len(ids[0]))
        np.testing.assert_array_equal(supply._per_year(ps, ids), expected)
