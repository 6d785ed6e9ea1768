"""The compiled roofline path (roofline.roofline_inference, what `simulate` calls for
`inference_mode: roofline`) against the numpy functions it replaces (inference.serving +
roofline.roofline_need, kept in the package): equal to the bit, on the shipped scenario
base-roofline, with formulas from data, with batch sizes and prompts that move firms between
the memory-bound and the compute-bound regime, and on one thread against several."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numba
import numpy as np
import pytest

from chipcast.contracts import FORMULA_VARIABLES
from chipcast.inputs import load_inputs
from chipcast.model.compute import SECONDS_PER_DAY, TERA
from chipcast.model.demand import simulate
from chipcast.model.formulas import parse_formula
from chipcast.model.inference import serving
from chipcast.model.params import ParamSet, parameters, point_params
from chipcast.model.roofline import roofline_inference, roofline_need, serving_chip
from chipcast.model.structure import Structure, compile_structure
from chipcast.model.training import generations
from chipcast.uncertainty.sampling import draw_plan

DATA = Path(__file__).resolve().parents[2] / "data"
SCENARIO = "base-roofline"


def _case(n: int) -> tuple[Structure, ParamSet]:
    inputs = load_inputs(DATA, SCENARIO)
    params = parameters(inputs)
    st = compile_structure(inputs)
    assert st.inference_mode == "roofline"
    if n == 1:
        return st, point_params(params)
    plan = draw_plan(inputs, params, "sobol", seed=11)
    return st, plan.paramset(plan.draw_matrix(n))


def _numpy_path(st: Structure, ps: ParamSet) -> tuple[np.ndarray, np.ndarray]:
    sv = serving(st, ps, generations(st, ps))
    return sv.tokens, roofline_need(st, ps, sv)


def _memory_bound(st: Structure, ps: ParamSet) -> np.ndarray:
    """(D, F, M) bool: decode's memory time per token above its compute time, recomputed
    from the Serving arrays (the regime each cell is in)."""
    sv = serving(st, ps, generations(st, ps))
    u, chip = sv.usage, serving_chip(ps)
    fraction = u["served_model_fraction"] * sv.live
    flops = sv.flops_per_token(st.formulas["inference_flops_per_token"])
    compute_s = flops / (chip["dense_fp16_tflops"][:, None, None] * TERA
                         * u["serving_utilization"])
    weights = sv.served("bytes_per_param") * sv.served("active_params") * fraction
    context = u["prompt_tokens"] + 0.5 * u["words_per_answer"] * u["tokens_per_word"]
    kv = u["decode_batch"] * sv.served("kv_bytes_per_token") * context
    per_token = ((weights * sv.served("compute_multiplier") + kv) / u["decode_batch"]
                 / (chip["memory_bandwidth_tbps"][:, None, None] * TERA
                    * u["memory_bandwidth_efficiency"]))
    return (per_token > compute_s) & (sv.tokens > 0)


@pytest.mark.parametrize("n", [1, 64])
def test_compiled_roofline_equals_the_numpy_path_exactly(n: int) -> None:
    st, ps = _case(n)
    gens = generations(st, ps)
    tokens, need = roofline_inference(st, ps, gens)
    ref_tokens, ref_need = _numpy_path(st, ps)
    n_f = len(st.firms)
    assert need.shape == (n, n_f, st.months.size) and (ref_need > 0).any()
    # later generations are served (the gathers of the last listed release are exercised)
    assert (gens.out_by(st.month_end) * (st.releases.serve >= 0) > 0).any()
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(need, ref_need)
    sim = simulate(st, ps)  # simulate writes the compiled values into the buyers' array
    np.testing.assert_array_equal(sim.tokens, ref_tokens)
    np.testing.assert_array_equal(sim.inference[:, :n_f], ref_need)


def test_both_regimes_and_uneven_replicas_match() -> None:
    """Per firm and draw: decode batches from 1 to 1,024, prompts of 0 to 8,000 tokens, 5 to
    100 % of the bandwidth, KV bytes over three orders of magnitude: some cells memory-bound,
    some compute-bound, the same numbers as numpy's."""
    st, ps = _case(24)
    rng = np.random.default_rng(7)
    n = ps.n_draws
    updates: dict[str, np.ndarray | float] = {}
    for f in range(len(st.firms)):
        updates[st.usage_ids["decode_batch"][f]] = np.rint(2.0 ** rng.uniform(0, 10, n))
        updates[st.usage_ids["prompt_tokens"][f]] = rng.uniform(0, 8000, n)
        updates[st.usage_ids["memory_bandwidth_efficiency"][f]] = rng.uniform(0.05, 1.0, n)
    for pid in st.releases.ids["kv_bytes_per_token"]:
        updates[pid] = 10 ** rng.uniform(4, 7, n)
    ps = ps.with_values(updates)
    tokens, need = roofline_inference(st, ps, generations(st, ps))
    ref_tokens, ref_need = _numpy_path(st, ps)
    bound = _memory_bound(st, ps)
    assert bound.any() and (~bound & (ref_tokens > 0)).any()
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(need, ref_need)


@pytest.mark.parametrize("texts", [
    # output share from a formula reading prompt tokens in a product (share < 1)
    {"tokens_per_day": "dau * questions_per_user_day * (words_per_answer * tokens_per_word"
                       " + prompt_tokens)",
     "inference_flops_per_token": "2 * active_params + total_params / 1000"},
    # no month-varying variable: (D, F, 1) values broadcast over the months
    {"tokens_per_day": "questions_per_user_day * 1e9 * (prompt_tokens + 1)",
     "inference_flops_per_token": "3.5e11"},
    # tokens that do not depend on the prompt: every token an output token (share 1)
    {"tokens_per_day": "dau ** 2 / 1e6",
     "inference_flops_per_token": "(active_params + 0.5 * total_params) ** 1.5 / 1e5"},
])
def test_formulas_from_data_are_the_numpy_path(texts: dict[str, str]) -> None:
    st, ps = _case(16)
    formulas = dict(st.formulas)
    formulas.update({k: parse_formula(v, FORMULA_VARIABLES) for k, v in texts.items()})
    st = replace(st, formulas=formulas)
    tokens, need = roofline_inference(st, ps, generations(st, ps))
    ref_tokens, ref_need = _numpy_path(st, ps)
    assert (ref_need > 0).any()
    np.testing.assert_array_equal(tokens, ref_tokens)
    np.testing.assert_array_equal(need, ref_need)


def test_whole_replicas_by_hand() -> None:
    """One firm-month recomputed from the module docstring's formula in plain Python floats:
    chips rounded up to whole replicas, in A100-equivalents."""
    st, ps = _case(1)
    gens = generations(st, ps)
    sv = serving(st, ps, gens)
    _, need = roofline_inference(st, ps, gens)
    f, m = np.argwhere(need[0] > 0)[-1]
    u = {k: float(v[0, f, 0]) for k, v in sv.usage.items()}
    chip = {k: float(v[0]) for k, v in serving_chip(ps).items()}
    active = float(sv.served("active_params")[0, f, m]) * u["served_model_fraction"]
    total = float(sv.served("total_params")[0, f, m]) * u["served_model_fraction"]
    mult = float(sv.served("compute_multiplier")[0, f, m])
    bpp = float(sv.served("bytes_per_param")[0, f, m])
    kv = float(sv.served("kv_bytes_per_token")[0, f, m])
    tokens = float(sv.tokens[0, f, m])
    per_user = st.formulas["tokens_per_day"].evaluate(
        {**{k: np.float64(u[k]) for k in sv.variables if k != "dau"}, "dau": np.float64(1.0)})
    no_prompt = st.formulas["tokens_per_day"].evaluate(
        {**{k: np.float64(u[k]) for k in sv.variables if k != "dau"}, "dau": np.float64(1.0),
         "prompt_tokens": np.float64(0.0)})
    output = tokens * float(no_prompt) / float(per_user)
    flops = float(st.formulas["inference_flops_per_token"].evaluate(
        {"active_params": np.float64(active), "total_params": np.float64(total)})) * mult
    compute_s = flops / (chip["dense_fp16_tflops"] * 1e12 * u["serving_utilization"])
    context = u["prompt_tokens"] + u["words_per_answer"] * u["tokens_per_word"] / 2
    memory_s = ((bpp * active * mult + u["decode_batch"] * kv * context)
                / (u["decode_batch"] * chip["memory_bandwidth_tbps"] * 1e12
                   * u["memory_bandwidth_efficiency"]))
    chips = ((tokens - output) * compute_s + output * max(compute_s, memory_s)) \
        / SECONDS_PER_DAY * u["peak_to_average"]
    replica = max(1.0, np.ceil(bpp * total * mult / (chip["memory_gb"] * 1e9) - 1e-9))
    expected = np.ceil(chips / replica - 1e-9) * replica * chip["dense_fp16_tflops"] \
        / float(ps[st.reference_id][0])
    assert need[0, f, m] == pytest.approx(expected, rel=1e-12)


def test_roofline_numbers_do_not_depend_on_the_thread_count() -> None:
    st, ps = _case(37)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = roofline_inference(st, ps, generations(st, ps))
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = roofline_inference(st, ps, generations(st, ps))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many, strict=True):
        np.testing.assert_array_equal(a, b)
