"""The seed article's world (scenario seed-2023 of data/) through the whole model:
tests/golden/FACTS.md S7, S10, S11 and S12 (10 firms x 10x GPT-3 = 1.71 million A100, short of
the article's "more than 2 million")."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from grain import by_buyer, by_sku, monthly
from seed_facts import (
    HOW_TEN_FIRMS_A100,
    HOW_TOKENS_PER_WORD,
    HOW_TRAINING_DAYS,
    S3_PARAMS,
    S3_TRAINING_TOKENS,
    S4_MFU,
    S6_PEAK_TFLOPS,
    S8_SERVING_UTILIZATION,
    S9_DAILY_USERS,
    S9_QUESTIONS,
    S9_WORDS,
    S11_COMPUTE_MULTIPLIER,
    S12_CLAIM_A100,
    S12_FIRMS,
)

from chipcast.inputs import load_inputs
from chipcast.model import compute, outputs
from chipcast.project import SHIPPED_DATA as DATA_DIR

# One GPT-3 (S7 and S10, unrounded: 843.1 and 16,255.1; tests/golden/test_seed_figures.py)
TRAIN = compute.estimate_training(S3_PARAMS, S3_TRAINING_TOKENS, S6_PEAK_TFLOPS, S4_MFU,
                                  HOW_TRAINING_DAYS).chips
SERVE = compute.estimate_inference(
    S3_PARAMS, compute.tokens_per_day(S9_DAILY_USERS, S9_QUESTIONS, S9_WORDS, HOW_TOKENS_PER_WORD),
    S6_PEAK_TFLOPS, S8_SERVING_UTILIZATION).chips
# FACTS.md gives 1.71 million to three digits: half a unit of the last one
THREE_DIGITS = 0.005e6


@pytest.fixture(scope="module")
def seed() -> pl.DataFrame:
    return outputs.forecast(load_inputs(DATA_DIR, "seed-2023"))


def _peak_installed(seed: pl.DataFrame) -> float:
    return monthly(by_buyer(seed, "units_installed"))["value"].max()


def test_s12_ten_firms_at_ten_x_need_1_71_million_a100s(seed: pl.DataFrame) -> None:
    expected = S12_FIRMS * S11_COMPUTE_MULTIPLIER * (TRAIN + SERVE)  # 1,709,817
    assert expected == pytest.approx(HOW_TEN_FIRMS_A100, abs=THREE_DIGITS)
    assert _peak_installed(seed) == pytest.approx(expected, rel=1e-9)
    # ... all of them A100s, as the article counts
    shipped = by_sku(seed, "units_shipped").filter(pl.col("value") > 0)
    assert set(shipped["sku"]) == {"A100-80GB-SXM"}
    # within the 5-year lifetime nothing retires: cumulative shipments equal the peak fleet
    first_life = shipped.filter(pl.col("month") < date(2028, 1, 1))
    assert first_life["value"].sum() == pytest.approx(expected, rel=1e-9)


def test_s12_the_articles_two_million_needs_more_than_its_inputs(seed: pl.DataFrame) -> None:
    peak = _peak_installed(seed)
    assert peak < S12_CLAIM_A100
    # what it would take: a compute multiplier of 10 x 2e6 / peak (about 11.7) instead of 10;
    # 11.70 is this project's derived figure, not the article's
    assert S11_COMPUTE_MULTIPLIER * S12_CLAIM_A100 / peak == pytest.approx(11.70, abs=0.01)


def test_s7_s10_training_and_serving_per_firm(seed: pl.DataFrame) -> None:
    req = by_buyer(seed, "a100_equivalents_required")
    per_firm = req.filter(pl.col("month") == date(2024, 1, 1)).pivot(
        on="workload", index="firm", values="value")
    assert per_firm.height == S12_FIRMS
    for row in per_firm.iter_rows(named=True):
        # kept (retention 1)
        assert row["training"] == pytest.approx(S11_COMPUTE_MULTIPLIER * TRAIN, rel=1e-9)
        assert row["inference"] == pytest.approx(S11_COMPUTE_MULTIPLIER * SERVE, rel=1e-6)
