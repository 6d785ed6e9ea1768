"""Golden figures of the seed article (FACTS.md S7 and S10) through the library."""

from __future__ import annotations

import numpy as np
import pytest

from chipcast.model import compute


def test_gpt3_training_on_a100_in_a_month_is_843_chips() -> None:
    est = compute.estimate_training(175e9, 300e9, peak_tflops=312, mfu=0.462, days=30)
    assert est.flops == pytest.approx(3.15e23)
    assert est.chips == pytest.approx(843.1, abs=0.05)
    assert round(est.chips) == 843
    # chip-hours are chips x hours
    assert est.gpu_hours == pytest.approx(est.chips * 30 * 24)


def test_without_days_there_is_no_chip_count() -> None:
    assert compute.estimate_training(175e9, 300e9, 312, 0.462).chips is None


def test_gpt3_serving_50m_users_is_16255_chips() -> None:
    tokens = compute.tokens_per_day(50e6, 10, 400, 4 / 3)
    est = compute.estimate_inference(175e9, tokens, peak_tflops=312, utilization=0.213)
    assert est.flops == pytest.approx(9.333e22, rel=1e-3)
    assert est.chips == pytest.approx(16255.1, abs=0.05)
    # one token a word gives the article's alternative 12,191 (FACTS.md)
    one = compute.estimate_inference(175e9, compute.tokens_per_day(50e6, 10, 400, 1.0), 312, 0.213)
    assert one.chips == pytest.approx(12191.3, abs=0.1)


def test_prompt_tokens_and_moe_active_params_count() -> None:
    base = compute.tokens_per_day(1e6, 1, 300, 1.0)
    assert compute.tokens_per_day(1e6, 1, 300, 1.0, prompt_tokens=100) == base * 400 / 300
    dense = compute.estimate_inference(671e9, base, 312, 0.3).chips
    moe = compute.estimate_inference(37e9, base, 312, 0.3).chips
    assert moe == pytest.approx(dense * 37 / 671)


def test_functions_broadcast_over_draws() -> None:
    mfu = np.array([0.231, 0.462])
    est = compute.estimate_training(175e9, 300e9, 312, mfu, 30)
    np.testing.assert_allclose(est.chips, [843.1 * 2, 843.1], atol=0.1)
