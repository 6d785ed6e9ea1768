"""`chipcast estimate`: the seed's golden figures through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tinydata import write_tiny_data

from chipcast.cli import main
from chipcast.project import SHIPPED_DATA as DATA_DIR

TRAIN = ["estimate", "training", "--params", "175e9", "--tokens", "300e9", "--chip", "A100"]
SERVE = ["estimate", "inference", "--params", "175e9", "--dau", "50e6", "--questions", "10",
         "--words", "400", "--chip", "A100"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_tiny_data(tmp_path_factory.mktemp("tiny")))


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("data", ["tiny", "shipped"])
def test_training_golden_843(capsys: pytest.CaptureFixture[str], tiny: str, data: str) -> None:
    if data == "shipped" and not (DATA_DIR / "chips.csv").exists():
        pytest.fail("data/chips.csv is missing")
    data_dir = tiny if data == "tiny" else str(DATA_DIR)
    argv = TRAIN + ["--mfu", "0.462", "--days", "30", "--data-dir", data_dir]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "843" in text and "(843.1)" in text
    out = _json(capsys, argv + ["--json"])
    assert out["chips"] == pytest.approx(843.1, abs=0.05)
    assert out["flops"] == pytest.approx(3.15e23)
    assert out["gpu_hours"] == pytest.approx(843.1 * 30 * 24, rel=1e-4)
    assert out["chip"] == "A100-80GB-SXM"


@pytest.mark.parametrize("data", ["tiny", "shipped"])
def test_inference_golden_16255(capsys: pytest.CaptureFixture[str], tiny: str, data: str) -> None:
    data_dir = tiny if data == "tiny" else str(DATA_DIR)
    argv = SERVE + ["--tokens-per-word", "1.3333", "--utilization", "0.213",
                    "--data-dir", data_dir]
    assert main(argv) == 0
    assert "16,25" in capsys.readouterr().out
    out = _json(capsys, argv + ["--json"])
    # 1.3333 (as typed in the issue) gives 16,254.7 (prints 16,255); exactly 4/3 gives 16,255.1
    assert out["chips"] == pytest.approx(16255.1 * 1.3333 / (4 / 3), abs=0.05)
    exact = _json(capsys, SERVE + ["--tokens-per-word", str(4 / 3), "--utilization", "0.213",
                                   "--data-dir", data_dir, "--json"])
    assert exact["chips"] == pytest.approx(16255.1, abs=0.05)


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
