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

import numpy as np

from chipcast.errors import InputError, Problem
from chipcast.model.compute import SECONDS_PER_DAY, TERA
from chipcast.model.inference import Serving
from chipcast.model.params import ParamSet, param_id
from chipcast.model.structure import Structure

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
