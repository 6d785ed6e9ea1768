"""The seed article's world (scenario seed-2023) through the whole model: FACTS.md S7, S10, S12."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from chipcast.inputs import load_inputs
from chipcast.model import compute, outputs
from chipcast.project import SHIPPED_DATA as DATA_DIR

TRAIN = compute.estimate_training(175e9, 300e9, 312, 0.462, 30).chips  # 843.1
SERVE = compute.estimate_inference(175e9, compute.tokens_per_day(50e6, 10, 400, 4 / 3), 312,
                                   0.213).chips  # 16,255.1


@pytest.fixture(scope="module")
def seed() -> pl.DataFrame:
    return outputs.forecast(load_inputs(DATA_DIR, "seed-2023"))


def test_per_model_figures_are_the_articles() -> None:
    assert round(TRAIN) == 843 and round(SERVE) == 16_255


def test_ten_firms_at_ten_x_need_1_71_million_a100s(seed: pl.DataFrame) -> None:
    installed = (seed.filter(pl.col("metric") == "units_installed")
                 .group_by("month").agg(pl.col("value").sum()))
    expected = 10 * 10 * (TRAIN + SERVE)
    assert installed["value"].max() == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(1.7098e6, rel=1e-4)
    # ... all of them A100s, as the article counts
    shipped = seed.filter(pl.col("metric") == "units_shipped", pl.col("value") > 0)
    assert set(shipped["sku"]) == {"A100-80GB-SXM"}
    # within the 5-year lifetime nothing retires: cumulative shipments equal the peak fleet
    first_life = shipped.filter(pl.col("month") < date(2028, 1, 1))
    assert first_life["value"].sum() == pytest.approx(expected, rel=1e-9)


def test_the_articles_two_million_needs_more_than_its_inputs(seed: pl.DataFrame) -> None:
    peak = (seed.filter(pl.col("metric") == "units_installed")
            .group_by("month").agg(pl.col("value").sum())["value"].max())
    assert peak < 2e6
    # what it would take: a compute multiplier of 10 x 2e6 / peak (about 11.7) instead of 10
    assert 10 * 2e6 / peak == pytest.approx(11.70, abs=0.01)


def test_training_and_serving_per_firm(seed: pl.DataFrame) -> None:
    req = seed.filter(pl.col("metric") == "a100_equivalents_required")
    per_firm = req.filter(pl.col("month") == date(2024, 1, 1)).pivot(
        on="workload", index="firm", values="value")
    assert per_firm.height == 10
    for row in per_firm.iter_rows(named=True):
        assert row["training"] == pytest.approx(10 * TRAIN, rel=1e-9)  # kept (retention 1)
        assert row["inference"] == pytest.approx(10 * SERVE, rel=1e-6)
