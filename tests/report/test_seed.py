"""The article's arithmetic (chipcast.report.seed) from hand-made staged inputs: every number
comes from the inputs given, expected values are computed here by hand (FLOPs / (TFLOPS x
utilisation x seconds)), and a missing input is named instead of guessed."""

from __future__ import annotations

from datetime import date

import pytest

from chipcast.contracts import SEED_CLAIM
from chipcast.report.data import SeedInputs
from chipcast.report.seed import reconcile

MODEL = {"active_params": 1e11, "total_params": 4e11, "training_tokens": 2e12,
         "training_days": 40.0, "mfu": 0.5, "compute_multiplier": 3.0,
         "experiment_multiplier": 2.0}
USAGE = {"dau_target": 1e7, "questions_per_user_day": 5.0, "words_per_answer": 300.0,
         "tokens_per_word": 1.5, "prompt_tokens": 100.0, "serving_utilization": 0.25,
         "peak_to_average": 2.0}
FORMULAS = {  # a staged formula that uses total_params: the restatement must follow it
    "training_flops": "6 * total_params * training_tokens",
    "inference_flops_per_token": "2 * active_params",
    "tokens_per_day": "dau * questions_per_user_day * (words_per_answer * tokens_per_word "
                      "+ prompt_tokens)",
}


def inputs(**change: object) -> SeedInputs:
    base = dict(
        model_class="gen-x", firms=4, model=dict(MODEL), usage=dict(USAGE),
        fleet={"reference_tflops": 312.0},
        a100_tflops=[{"sku": "A800-x", "tflops": 300.0, "allowed": False},
                     {"sku": "A100-y", "tflops": 400.0, "allowed": True},
                     {"sku": "A100-z", "tflops": 500.0, "allowed": True}],
        formulas=dict(FORMULAS),
        need=[{"month": date(2024, 1, 1), "total": 5e5, "firms": 4},
              {"month": date(2024, 2, 1), "total": 9e5, "firms": 4},
              {"month": date(2024, 3, 1), "total": 9e5, "firms": 4}],
    )
    base.update(change)
    return SeedInputs(**base)  # type: ignore[arg-type]


def test_steps_follow_the_staged_inputs_and_formulas() -> None:
    result = reconcile(inputs())
    tflops = 400.0  # the lowest TFLOPS of the A100-family SKUs the world may ship
    train = 6 * 4e11 * 2e12 / (tflops * 1e12 * 0.5 * 40 * 86_400) * 2.0
    tokens = 1e7 * 5 * (300 * 1.5 + 100)
    serve = 2 * 1e11 * tokens / (tflops * 1e12 * 0.25 * 86_400) * 2.0
    stated = 4 * 3.0 * (train + serve)
    values = [s.value for s in result["steps"]]
    assert values == pytest.approx([train, serve, train + serve, stated, SEED_CLAIM])
    assert result["steps"][-1].at_least and not result["steps"][0].at_least
    assert result["stated"] == pytest.approx(stated)
    assert result["gap_ratio"] == pytest.approx(2e6 / stated)
    assert result["multiplier_needed"] == pytest.approx(3.0 * 2e6 / stated)
    # the earliest month of the peak; A100-eq of 312 TFLOPS counted as 400-TFLOPS A100s
    assert result["model_peak"]["month"] == date(2024, 2, 1)
    assert result["model_peak_a100"] == pytest.approx(9e5 * 312 / 400)
    assert result["model_ratio"] == pytest.approx(9e5 * 312 / 400 / stated)
    how = " ".join(s.how for s in result["steps"])
    assert "6 * total_params * training_tokens" in how and "50.0% of 400 TFLOPS" in how
    assert "× 2 experiments" in how and "× 2 peak to average" in how
    assert result["steps"][3].label.startswith("4 firms × 3× the compute")


def test_without_an_allowed_sku_the_family_is_used() -> None:
    rows = [{"sku": "A800-x", "tflops": 300.0, "allowed": False}]
    result = reconcile(inputs(a100_tflops=rows))
    assert "of 300 TFLOPS" in result["steps"][0].how


@pytest.mark.parametrize(("change", "named"), [
    ({"model": {k: v for k, v in MODEL.items() if k != "mfu"}}, "model_classes:gen-x:mfu"),
    ({"usage": {k: v for k, v in USAGE.items() if k != "dau_target"}}, "usage:*:dau_target"),
    ({"a100_tflops": []}, "dense_fp16_tflops"),
    ({"fleet": {}}, "fleet:reference_tflops"),
    ({"firms": 0, "model_class": None}, "model_releases"),
])
def test_a_missing_input_is_named_not_guessed(change: dict, named: str) -> None:
    result = reconcile(inputs(**change))
    assert result["steps"] == []
    assert any(named in m for m in result["missing"]), result["missing"]
