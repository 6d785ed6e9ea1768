"""`chipcast estimate` on the fixture data: quantiles, MoE, other chips, errors (the seed's
golden figures through it are in tests/golden/test_seed_figures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixture_data import copy_data

from chipcast.cli import main

TRAIN = ["estimate", "training", "--params", "175e9", "--tokens", "300e9", "--chip", "A100"]
SERVE = ["estimate", "inference", "--params", "175e9", "--dau", "50e6", "--questions", "10",
         "--words", "400", "--chip", "A100"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(copy_data(tmp_path_factory.mktemp("tiny")))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_training_without_days_has_null_chips(capsys: pytest.CaptureFixture[str],
                                              tiny: str) -> None:
    out = _json(capsys, TRAIN + ["--mfu", "0.462", "--json", "--data-dir", tiny])
    assert out["chips"] is None and out["gpu_hours"] > 0


def test_default_mfu_distribution_gives_ordered_quantiles(
    capsys: pytest.CaptureFixture[str], tiny: str
) -> None:
    out = _json(capsys, TRAIN + ["--days", "30", "--json", "--data-dir", tiny])
    chips = out["chips"]
    assert set(chips) == {"p10", "p50", "p90"}
    assert chips["p10"] < chips["p50"] < chips["p90"]
    # tiny data: MFU ~ uniform(0.3, 0.6); chips = 843.1 x 0.462 / MFU; p90 of chips at MFU p10
    assert chips["p90"] == pytest.approx(843.1 * 0.462 / 0.33, rel=2e-3)
    assert chips["p10"] == pytest.approx(843.1 * 0.462 / 0.57, rel=2e-3)
    assert out["flops"] == {"p10": pytest.approx(3.15e23), "p50": pytest.approx(3.15e23),
                            "p90": pytest.approx(3.15e23)}
    again = _json(capsys, TRAIN + ["--days", "30", "--json", "--data-dir", tiny])
    assert again["chips"] == chips  # seeded: same inputs, same numbers


def test_moe_active_params_and_other_chip(capsys: pytest.CaptureFixture[str], tiny: str) -> None:
    dense = _json(capsys, SERVE + ["--tokens-per-word", "1", "--utilization", "0.3", "--json",
                                   "--data-dir", tiny])
    moe = _json(capsys, SERVE + ["--tokens-per-word", "1", "--utilization", "0.3", "--json",
                                 "--active-params", "17.5e9", "--data-dir", tiny])
    assert moe["chips"] == pytest.approx(dense["chips"] / 10)
    ascend = _json(capsys, SERVE + ["--tokens-per-word", "1", "--utilization", "0.3", "--json",
                                    "--chip", "910", "--data-dir", tiny])
    assert ascend["chip"] == "Ascend-910"
    assert ascend["chips"] == pytest.approx(dense["chips"] * 312 / 256)


def test_unknown_chip_and_bad_numbers_are_clear_errors(
    capsys: pytest.CaptureFixture[str], tiny: str
) -> None:
    assert main(TRAIN[:-1] + ["B200", "--data-dir", tiny]) == 1
    err = capsys.readouterr().err
    assert "unknown chip 'B200'" in err and "A100" in err
    assert main(TRAIN + ["--mfu", "-1", "--data-dir", tiny]) == 2
    assert "--mfu must be a positive number" in capsys.readouterr().err
    assert main(["estimate", "training", "--params", "x"]) == 2


def test_data_dir_is_a_path(tiny: str) -> None:
    assert Path(tiny, "chips.csv").exists()
