"""The seed article's two per-model figures (tests/golden/FACTS.md S7: 843 A100 to train GPT-3
in a month; S10: 16,255 A100 to serve it) through each way the project computes them: the
library (chipcast.model.compute), `chipcast estimate`, and the demand model in compute mode
(fixture scenario gpt3). Inputs and expected figures come from FACTS.md (seed_facts)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from fixture_data import copy_data
from seed_facts import (
    HOW_ONE_TOKEN_A_WORD_CHIPS,
    HOW_SERVING_CHIPS,
    HOW_SERVING_FLOPS_PER_DAY,
    HOW_TOKENS_PER_WORD,
    HOW_TRAINING_CHIPS,
    HOW_TRAINING_DAYS,
    HOW_TRAINING_FLOPS,
    S3_PARAMS,
    S3_TRAINING_TOKENS,
    S4_MFU,
    S6_PEAK_TFLOPS,
    S7_TRAINING_CHIPS,
    S8_SERVING_UTILIZATION,
    S9_DAILY_USERS,
    S9_QUESTIONS,
    S9_WORDS,
    S10_SERVING_CHIPS,
)

from chipcast.cli import main
from chipcast.inputs import load_inputs
from chipcast.model import compute, outputs
from chipcast.model.params import param_table
from chipcast.project import SHIPPED_DATA as DATA_DIR

# FACTS.md rounds to one decimal (843.1, 16,255.1): half a unit of that digit
ONE_DECIMAL = 0.05
GPT3 = ["--params", f"{S3_PARAMS:g}", "--chip", "A100"]
TRAIN_ARGS = ["estimate", "training", *GPT3, "--tokens", f"{S3_TRAINING_TOKENS:g}",
              "--mfu", f"{S4_MFU:g}", "--days", f"{HOW_TRAINING_DAYS:g}"]
SERVE_ARGS = ["estimate", "inference", *GPT3, "--dau", f"{S9_DAILY_USERS:g}",
              "--questions", f"{S9_QUESTIONS:g}", "--words", f"{S9_WORDS:g}",
              "--utilization", f"{S8_SERVING_UTILIZATION:g}"]
DATA_SETS = ["fixture", "shipped"]


@pytest.fixture(scope="module")
def fixture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data(tmp_path_factory.mktemp("data"))


def _data_dir(which: str, fixture_dir: Path) -> str:
    if which == "shipped" and not (DATA_DIR / "chips.csv").is_file():
        pytest.fail("data/chips.csv is missing")
    return str(fixture_dir if which == "fixture" else DATA_DIR)


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


# --- the library -----------------------------------------------------------------------------


def test_s7_gpt3_training_is_843_a100_through_compute() -> None:
    est = compute.estimate_training(S3_PARAMS, S3_TRAINING_TOKENS, peak_tflops=S6_PEAK_TFLOPS,
                                    mfu=S4_MFU, days=HOW_TRAINING_DAYS)
    assert est.flops == pytest.approx(HOW_TRAINING_FLOPS)
    assert est.chips == pytest.approx(HOW_TRAINING_CHIPS, abs=ONE_DECIMAL)
    assert round(est.chips) == S7_TRAINING_CHIPS
    # chip-hours are chips x hours
    assert est.gpu_hours == pytest.approx(est.chips * HOW_TRAINING_DAYS * 24)


def test_s10_gpt3_serving_is_16255_a100_through_compute() -> None:
    tokens = compute.tokens_per_day(S9_DAILY_USERS, S9_QUESTIONS, S9_WORDS, HOW_TOKENS_PER_WORD)
    est = compute.estimate_inference(S3_PARAMS, tokens, peak_tflops=S6_PEAK_TFLOPS,
                                     utilization=S8_SERVING_UTILIZATION)
    assert est.flops == pytest.approx(HOW_SERVING_FLOPS_PER_DAY, rel=1e-3)  # 3 digits given
    assert est.chips == pytest.approx(HOW_SERVING_CHIPS, abs=ONE_DECIMAL)
    assert round(est.chips) == S10_SERVING_CHIPS


def test_s10_one_token_a_word_gives_the_articles_alternative_12191() -> None:
    tokens = compute.tokens_per_day(S9_DAILY_USERS, S9_QUESTIONS, S9_WORDS, 1.0)
    est = compute.estimate_inference(S3_PARAMS, tokens, S6_PEAK_TFLOPS, S8_SERVING_UTILIZATION)
    assert round(est.chips) == HOW_ONE_TOKEN_A_WORD_CHIPS


# --- chipcast estimate -----------------------------------------------------------------------


@pytest.mark.parametrize("data", DATA_SETS)
def test_s7_843_a100_through_the_estimate_cli(capsys: pytest.CaptureFixture[str],
                                               fixture_dir: Path, data: str) -> None:
    argv = TRAIN_ARGS + ["--data-dir", _data_dir(data, fixture_dir)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert f"{S7_TRAINING_CHIPS:,.0f}" in text and f"({HOW_TRAINING_CHIPS:,.1f})" in text
    out = _json(capsys, argv + ["--json"])
    assert out["chips"] == pytest.approx(HOW_TRAINING_CHIPS, abs=ONE_DECIMAL)
    assert out["flops"] == pytest.approx(HOW_TRAINING_FLOPS)
    assert out["gpu_hours"] == pytest.approx(HOW_TRAINING_CHIPS * HOW_TRAINING_DAYS * 24,
                                             rel=1e-4)
    assert out["chip"] == "A100-80GB-SXM"


@pytest.mark.parametrize("data", DATA_SETS)
def test_s10_16255_a100_through_the_estimate_cli(capsys: pytest.CaptureFixture[str],
                                                 fixture_dir: Path, data: str) -> None:
    argv = SERVE_ARGS + ["--data-dir", _data_dir(data, fixture_dir)]
    # 1.3333 (4/3 as an analyst types it) gives 16,254.7, which prints 16,255
    typed = argv + ["--tokens-per-word", "1.3333"]
    assert main(typed) == 0
    assert f"{S10_SERVING_CHIPS:,.0f}" in capsys.readouterr().out
    out = _json(capsys, typed + ["--json"])
    assert out["chips"] == pytest.approx(HOW_SERVING_CHIPS * 1.3333 / HOW_TOKENS_PER_WORD,
                                         abs=ONE_DECIMAL)
    exact = _json(capsys, argv + ["--tokens-per-word", str(HOW_TOKENS_PER_WORD), "--json"])
    assert exact["chips"] == pytest.approx(HOW_SERVING_CHIPS, abs=ONE_DECIMAL)


# --- the demand model (compute mode) ---------------------------------------------------------


def test_s7_s10_through_the_demand_model_in_compute_mode(fixture_dir: Path) -> None:
    """Fixture scenario gpt3: each firm trains GPT-3 for 30 days before its release (firm a:
    June 2022) and then serves 50M users (instant adoption), measured in A100-equivalents."""
    inputs = load_inputs(fixture_dir, "gpt3")
    assert inputs.settings.inference_mode == "compute"
    # the scenario's inputs are the article's
    values = dict(param_table(inputs).select("param_id", "value").iter_rows())
    assert values["model_classes:c1:active_params"] == S3_PARAMS
    assert values["model_classes:c1:training_tokens"] == S3_TRAINING_TOKENS
    assert values["model_classes:*:mfu"] == S4_MFU
    assert values["model_classes:*:training_days"] == HOW_TRAINING_DAYS
    assert values["usage:*:serving_utilization"] == S8_SERVING_UTILIZATION
    assert values["usage:*:tokens_per_word"] == HOW_TOKENS_PER_WORD
    assert values["fleet::reference_tflops"] == S6_PEAK_TFLOPS
    assert (values["usage:*:dau_target"], values["usage:*:questions_per_user_day"],
            values["usage:*:words_per_answer"]) == (S9_DAILY_USERS, S9_QUESTIONS, S9_WORDS)

    need = outputs.forecast(inputs).filter(pl.col("metric") == "a100_equivalents_required",
                                           pl.col("firm") == "a")

    def at(month: date, workload: str) -> float:
        rows = need.filter(pl.col("month") == month, pl.col("workload") == workload)
        return float(rows["value"].sum())

    # June 2022 has 30 days: the 30-day run fills the month, whose need is the whole cluster
    assert (date(2022, 7, 1) - date(2022, 6, 1)).days == HOW_TRAINING_DAYS
    assert at(date(2022, 6, 1), "training") == pytest.approx(HOW_TRAINING_CHIPS,
                                                             abs=ONE_DECIMAL)
    assert at(date(2023, 6, 1), "inference") == pytest.approx(HOW_SERVING_CHIPS,
                                                              abs=ONE_DECIMAL)
