"""Roofline inference (`inference_mode: roofline`): serving chips bounded by memory bandwidth.

The seed article counts inference as FLOPs only. Generating a token (decode) reads the served
model's weights once per batch step plus each sequence's KV cache, so at modest batch sizes the
chip waits on HBM, not on its arithmetic units. Per firm and month (grain (D, F, M)):

- tokens/day as in the compute mode (chatbot x intensity + API: chipcast.model.inference),
  split into output and prompt tokens in the proportion of the `tokens_per_day` formula for
  one user (output: the formula with prompt_tokens = 0);
- FLOPs/token = `inference_flops_per_token` x compute_multiplier (2 x N_active by default);
- prefill (prompt tokens) is compute-bound: chip-s = tokens x FLOPs/token / (peak x util);
- decode (output tokens): chip-s per token = max(compute: FLOPs/token / (peak x util),
  memory: (bytes_per_param x N_active x multiplier + batch x kv_bytes_per_token x context)
  / (batch x bandwidth x memory_bandwidth_efficiency)), where context = prompt_tokens +
  half the answer's tokens (the mean number of tokens attended while generating an answer);
- chips = (prefill + decode chip-s/day) / 86,400 x peak_to_average, rounded up to whole
  replicas of ceil(bytes_per_param x N_total x multiplier / chip memory) chips (tensor
  parallelism splits the weights; the KV cache's own memory is not added to the replica);
- A100-equivalents = chips x serving chip TFLOPS / reference_tflops.

compute_multiplier scales the model as if it had that many times the parameters (FLOPs, bytes
read per token and replica size alike). The serving chip is SERVING_SKU (chip_specs rows
dense_fp16_tflops, memory_gb, memory_bandwidth_tbps): one reference chip for every firm and
month, not the month's SKU mix, since need is computed before shipments are split into SKUs.

Roofline-only inputs (contracts `modes`; each `*` default row or per class / firm):
model_classes `kv_bytes_per_token`
(bytes per token of context, = 2 x layers x d_model x bytes per value for multi-head
attention), usage `decode_batch` (sequences decoded together per replica) and
`memory_bandwidth_efficiency` (fraction of peak HBM bandwidth achieved). Prompt tokens and MoE
active parameters count exactly as in the compute mode.
"""

from __future__ import annotations

import numba
import numpy as np

from chipcast.errors import InputError, Problem
from chipcast.model.compute import SECONDS_PER_DAY, TERA
from chipcast.model.inference import (
    CHAT_VARIABLES,
    Serving,
    compiled_serving,
    f64,
    served_generation,
)
from chipcast.model.params import ParamSet, param_id
from chipcast.model.structure import Structure
from chipcast.model.training import Generations

SERVING_SKU = "A100-80GB-SXM"
CHIP_METRICS = ("dense_fp16_tflops", "memory_gb", "memory_bandwidth_tbps")
GIGA = 1e9


def serving_chip(ps: ParamSet, sku: str = SERVING_SKU) -> dict[str, np.ndarray]:
    """The serving chip's specs per draw: TFLOPS, GB, TB/s, each (D,)."""
    out = {}
    for metric in CHIP_METRICS:
        pid = param_id("chip_specs", [sku], metric)
        if pid not in ps:
            raise InputError(Problem(
                "data/chip_specs.csv", f"inference_mode roofline needs {metric} of {sku}",
                column="metric", hint=f"add ({sku}, {metric}) to chip_specs.csv"))
        out[metric] = ps[pid]
    return out


def roofline_need(st: Structure, ps: ParamSet, sv: Serving) -> np.ndarray:
    """A100-equivalents serving the firms' tokens, (D, F, M), memory-bandwidth-aware (module
    docstring). Every token served (chatbot and API) splits into prompt and output tokens in
    the proportion of the `tokens_per_day` formula for one user."""
    u, served = sv.usage, sv.served
    fraction = u["served_model_fraction"] * sv.live  # the average token's model
    active, total = served("active_params") * fraction, served("total_params") * fraction
    multiplier = served("compute_multiplier")
    one_user = {**sv.variables, "dau": np.ones_like(u["prompt_tokens"])}
    per_user = st.formulas["tokens_per_day"].evaluate(one_user)
    per_user_output = st.formulas["tokens_per_day"].evaluate(
        {**one_user, "prompt_tokens": 0.0 * u["prompt_tokens"]})
    output_share = np.divide(per_user_output, per_user, out=np.ones_like(per_user),
                             where=per_user > 0)
    output = sv.tokens * output_share
    prompt = np.maximum(sv.tokens - output, 0.0)
    flops_token = sv.flops_per_token(st.formulas["inference_flops_per_token"])

    chip = serving_chip(ps)
    peak = chip["dense_fp16_tflops"][:, None, None] * TERA  # FLOP/s
    bandwidth = chip["memory_bandwidth_tbps"][:, None, None] * TERA  # bytes/s
    memory = chip["memory_gb"][:, None, None] * GIGA  # bytes
    util, batch = u["serving_utilization"], u["decode_batch"]
    bpp, kv = served("bytes_per_param"), served("kv_bytes_per_token")

    compute_s = flops_token / (peak * util)  # chip-seconds per token, compute-bound
    context = u["prompt_tokens"] + 0.5 * u["words_per_answer"] * u["tokens_per_word"]
    step_bytes = bpp * active * multiplier + batch * kv * context
    memory_s = step_bytes / (batch * bandwidth * u["memory_bandwidth_efficiency"])
    chip_s = prompt * compute_s + output * np.maximum(compute_s, memory_s)
    chips = chip_s / SECONDS_PER_DAY * u["peak_to_average"]
    replica = np.ceil(bpp * total * multiplier / memory - 1e-9)
    replica = np.maximum(replica, 1.0)
    # whole replicas: 1e-9 keeps a float just above a multiple from adding a replica
    whole = np.ceil(chips / replica - 1e-9) * replica
    chips = np.where(chips > 0, whole, 0.0)
    ref = ps[st.reference_id][:, None, None]
    return chips * chip["dense_fp16_tflops"][:, None, None] / ref


# The compiled roofline path (issue 13): inference.compiled_serving's passes (the curves, the
# model served, the two data formulas), then `roofline_need`'s arithmetic in one compiled pass,
# one draw per thread, with the same operations in the same order (bit-identical: numba does
# not contract a multiply and an add into a fused one, and the ceil, max, division are IEEE).
# The one-user formulas (the output share) and the per-draw chip specs stay numpy: (D, F, 1).
_ROOF_SERVED = ("bytes_per_param", "kv_bytes_per_token")


@numba.njit(cache=True, inline="always")
def _maximum(a: float, b: float) -> float:  # pragma: no cover
    """np.maximum of two values (NaN propagates)."""
    if np.isnan(a) or np.isnan(b):
        return np.nan
    return a if a >= b else b


@numba.njit(cache=True, parallel=True, error_model="numpy")
def _roofline(chat: np.ndarray, intensity: np.ndarray, api: np.ndarray, per_token: np.ndarray,
              mult: np.ndarray, active: np.ndarray, total: np.ndarray, share: np.ndarray,
              context: np.ndarray, u: np.ndarray, chip: np.ndarray, ref: np.ndarray,
              rv: np.ndarray, live: np.ndarray, month_end: np.ndarray, last_day: np.ndarray,
              interval: np.ndarray, count: int, index: np.ndarray, last_r: np.ndarray,
              tokens: np.ndarray, need: np.ndarray) -> None:  # pragma: no cover
    """Per draw (one thread each), firm and month: tokens a day = chat x intensity + API and
    the roofline A100-equivalents (roofline_need). share, context (D, F): the output tokens'
    share and the tokens attended while decoding; u (D, F, 5): serving_utilization,
    decode_batch, memory_bandwidth_efficiency, peak_to_average; chip (D, 3): the serving
    chip's FLOP/s, bytes/s, bytes and TFLOPS (raw, for the A100-e); rv (D, 2, R): bytes_per_param
    and kv_bytes_per_token of each listed release (a later generation keeps the last one's)."""
    n_d, n_f, n_m = tokens.shape
    for d in numba.prange(n_d):
        peak, bandwidth, memory, tflops = chip[d, 0], chip[d, 1], chip[d, 2], chip[d, 3]
        bpp_m, kv_m = np.empty(n_m), np.empty(n_m)
        for f in range(n_f):
            util, batch, efficiency, pta = u[d, f, 0], u[d, f, 1], u[d, f, 2], u[d, f, 3]
            peak_util = peak * util
            batch_bandwidth = batch * bandwidth * efficiency
            out_share, ctx, step = share[d, f], context[d, f], interval[d, f]
            lr = last_r[f]
            for m in range(n_m):  # the gathers first: the arithmetic below then vectorises
                on = 1.0 if live[f, m] else 0.0
                if served_generation(count, on, month_end[m] - last_day[f], step) > 0:
                    r = lr
                else:
                    r = index[f, m]
                bpp_m[m], kv_m[m] = rv[d, 0, r], rv[d, 1, r]
            for m in range(n_m):
                bpp, kv, mul = bpp_m[m], kv_m[m], mult[d, f, m]
                served = chat[d, f, m] * intensity[d, f, m] + api[d, f, m]
                tokens[d, f, m] = served
                output = served * out_share
                prompt = _maximum(served - output, 0.0)
                compute_s = per_token[d, f, m] * mul / peak_util
                step_bytes = bpp * active[d, f, m] * mul + batch * kv * ctx
                memory_s = step_bytes / batch_bandwidth
                chip_s = prompt * compute_s + output * _maximum(compute_s, memory_s)
                chips = chip_s / SECONDS_PER_DAY * pta
                replica = _maximum(np.ceil(bpp * total[d, f, m] * mul / memory - 1e-9), 1.0)
                whole = np.ceil(chips / replica - 1e-9) * replica
                need[d, f, m] = (whole if chips > 0 else 0.0) * tflops / ref[d]


def roofline_inference(st: Structure, ps: ParamSet, gens: Generations,
                       out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(tokens a day, A100-equivalents serving them), each (D, F, M): `serving` followed by
    `roofline_need`, compiled. The A100-e are written into `out` when given (a (D, F, M)
    view, e.g. the firms' rows of the buyers' inference array)."""
    rel = st.releases
    n_d, n_f, n_m = ps.n_draws, len(st.firms), st.months.size
    chip = serving_chip(ps)  # before the passes: a missing spec is an input error
    c = compiled_serving(st, ps, gens)
    u = {m: ps.stack(st.usage_ids[m])[:, :, None] for m in
         ("serving_utilization", "decode_batch", "memory_bandwidth_efficiency",
          "peak_to_average")}
    usage = c.usage
    one_user = {**{m: usage[m] for m in CHAT_VARIABLES},
                "dau": np.ones_like(usage["prompt_tokens"])}
    per_user = st.formulas["tokens_per_day"].evaluate(one_user)
    per_user_output = st.formulas["tokens_per_day"].evaluate(
        {**one_user, "prompt_tokens": 0.0 * usage["prompt_tokens"]})
    output_share = np.divide(per_user_output, per_user, out=np.ones_like(per_user),
                             where=per_user > 0)
    context = (usage["prompt_tokens"]
               + 0.5 * usage["words_per_answer"] * usage["tokens_per_word"])
    rv = np.stack([ps.stack(rel.ids[m]) for m in _ROOF_SERVED], axis=1)
    if rv.shape[2] == 0:  # no listed release: nothing is served, but index 0 must exist
        rv = np.zeros((n_d, len(_ROOF_SERVED), 1))
    specs = np.stack([chip["dense_fp16_tflops"] * TERA, chip["memory_bandwidth_tbps"] * TERA,
                      chip["memory_gb"] * GIGA, chip["dense_fp16_tflops"]], axis=1)
    live = rel.serve >= 0
    tokens = np.empty(c.chat.shape)
    need = np.empty(c.chat.shape) if out is None else out
    _roofline(c.chat, c.intensity, c.api, c.per_token, c.mult, c.active, c.total,
              f64(output_share, (n_d, n_f, 1))[:, :, 0], f64(context, (n_d, n_f, 1))[:, :, 0],
              np.concatenate([f64(u[m], (n_d, n_f, 1)) for m in u], axis=2),
              f64(specs, (n_d, 4)), f64(ps[st.reference_id], (n_d,)), rv, live,
              f64(st.month_end, (n_m,)), f64(gens.last_day, (n_f,)),
              f64(gens.interval_days, (n_d, n_f)), gens.count,
              np.where(live, rel.serve, 0).astype(np.int64),
              np.where(rel.last >= 0, rel.last, 0).astype(np.int64), tokens, need)
    return tokens, need
