"""Roofline inference on the seed's GPT-3 example, with hand-computed expectations.

GPT-3 (tests/golden/FACTS.md S3, S8-S10; fixture scenarios gpt3 and gpt3-roofline): N = 175e9,
50M DAU x 10 questions x 400 words x 4/3 tokens/word = 2.6667e11 output tokens/day, 21.3 %
utilisation of 312 TFLOPS: compute-only 16,255.1 A100 (tests/golden/test_seed_figures.py).

Roofline, A100-80GB-SXM (80 GB, 2.039 TB/s), FP16 weights (2 bytes/param), KV cache
2 x 96 layers x 12,288 d_model x 2 bytes = 4,718,592 bytes per token of context, batch 16,
80 % of peak bandwidth, no prompt:
- context = 0 + 533.33 / 2 = 266.67 tokens; KV read per step = 16 x 4,718,592 x 266.67
  = 2.01327e10 bytes; weights 3.5e11 bytes; per token (3.5e11 + 2.01327e10) / 16 = 2.31333e10 B
- memory time per token = 2.31333e10 / (2.039e12 x 0.8) = 0.0141818 chip-s
  > compute time 3.5e11 / (312e12 x 0.213) = 0.0052666 chip-s: memory-bound
- chips = 2.6667e11 x 0.0141818 / 86,400 = 43,771.0; replicas of ceil(3.5e11 / 8e10) = 5 chips
  -> 43,775 A100 (2.69x the compute-only figure).
At batch 256 the memory time (1.6096e-3 s) is below the compute time: compute-bound again,
16,255.1 rounded up to whole replicas = 16,260.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixture_data import copy_data, read_text

from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model import demand, structure
from chipcast.model.params import parameters, point_params

COMPUTE_ONLY = 16_255.1
KV = 2 * 96 * 12_288 * 2


def _variant(batch: float = 16, prompt: float = 0, active: float = 175e9, total: float = 175e9,
             mode: str = "roofline") -> str:
    """A scenario file: the fixture's gpt3-roofline (GPT-3 at batch 16, 80 % of 2.039 TB/s,
    KV as above) with some inputs changed through `set:` rows."""
    return f"""name: variant
extends: gpt3-roofline
settings: {{inference_mode: {mode}}}
set:
  - {{table: usage, firm: '*', metric: decode_batch, value: {batch}}}
  - {{table: usage, firm: '*', metric: prompt_tokens, value: {prompt}}}
  - {{table: model_classes, model_class: c1, metric: active_params, value: {active}}}
  - {{table: model_classes, model_class: c1, metric: total_params, value: {total}}}
"""


def _serving(tmp: Path, **kw: float | str) -> float:
    """A100-e serving firm a in 2023-06 (long after its release; Bass share ~1)."""
    data = copy_data(tmp, {"scenarios/variant.yaml": _variant(**kw)})
    inputs = load_inputs(data, "variant")
    st = structure.compile_structure(inputs)
    sim = demand.simulate(st, point_params(parameters(inputs)))
    return float(sim.inference[0, 0, 17])


def test_the_fixture_scenario_is_the_docstrings_world(tmp_path: Path) -> None:
    """gpt3-roofline itself (no `set:` rows) is the batch-16 world of the docstring."""
    inputs = load_inputs(copy_data(tmp_path), "gpt3-roofline")
    assert inputs.settings.inference_mode == "roofline"
    st = structure.compile_structure(inputs)
    sim = demand.simulate(st, point_params(parameters(inputs)))
    assert float(sim.inference[0, 0, 17]) == 43_775


def test_roofline_gpt3_is_memory_bound_at_batch_16(tmp_path: Path) -> None:
    tokens = 5e7 * 10 * 400 * 4 / 3
    per_token = (3.5e11 + 16 * KV * (400 * 4 / 3 / 2)) / 16 / (2.039e12 * 0.8)
    chips = tokens * per_token / 86_400
    assert chips == pytest.approx(43_771.0, abs=1.0)  # the docstring's hand figure
    got = _serving(tmp_path, batch=16)
    assert got == pytest.approx(np.ceil(chips / 5) * 5)
    assert got == 43_775
    assert got / COMPUTE_ONLY == pytest.approx(2.69, abs=0.01)


def test_roofline_large_batch_falls_back_to_compute_bound(tmp_path: Path) -> None:
    assert _serving(tmp_path, batch=256) == 16_260  # 16,255.1 in whole 5-chip replicas


def test_prompt_tokens_add_compute_bound_prefill(tmp_path: Path) -> None:
    no_prompt = _serving(tmp_path / "a", batch=256)
    prompt = _serving(tmp_path / "b", batch=256, prompt=200)
    # 200 prompt tokens per question: 5e8 questions x 200 = 1e11 tokens/day at compute speed
    prefill = 1e11 * 3.5e11 / (312e12 * 0.213) / 86_400
    assert prompt - no_prompt == pytest.approx(prefill, abs=10)  # within one replica


def test_moe_uses_active_params_per_token_and_total_params_for_the_replica(
    tmp_path: Path,
) -> None:
    got = _serving(tmp_path, active=37e9, total=671e9, batch=16)
    tokens = 5e7 * 10 * 400 * 4 / 3
    per_token = (2 * 37e9 + 16 * KV * (400 * 4 / 3 / 2)) / 16 / (2.039e12 * 0.8)
    replica = np.ceil(2 * 671e9 / 80e9)
    assert replica == 17
    assert got == pytest.approx(np.ceil(tokens * per_token / 86_400 / replica) * replica)


def test_missing_roofline_inputs_are_named(tmp_path: Path) -> None:
    usage = "".join(line for line in read_text("scenarios/gpt3/usage.csv").splitlines(True)
                    if "decode_batch" not in line)
    data = copy_data(tmp_path, {"scenarios/gpt3/usage.csv": usage})
    inputs = load_inputs(data, "gpt3-roofline")
    with pytest.raises(InputError, match="decode_batch"):
        structure.compile_structure(inputs)
