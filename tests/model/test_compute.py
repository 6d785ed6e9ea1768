"""chipcast.model.compute: chips from FLOPs (the seed's golden figures through it are in
tests/golden/test_seed_figures.py)."""

from __future__ import annotations

import numpy as np
import pytest

from chipcast.model import compute


def test_without_days_there_is_no_chip_count() -> None:
    assert compute.estimate_training(175e9, 300e9, 312, 0.462).chips is None


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
