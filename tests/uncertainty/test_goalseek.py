"""Goal-seek on the tiny inputs: a known root, unreachable and no-effect inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import copy_data

from chipcast.errors import UsageError
from chipcast.inputs import load_inputs
from chipcast.model import demand, structure
from chipcast.model.params import parameters, point_params
from chipcast.model.series import headlines
from chipcast.uncertainty import goalseek

MULT = "model_classes:*:compute_multiplier"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def inputs(data: Path):
    return load_inputs(data, "base")


def _metric(inputs, metric: str, **updates: float) -> float:
    st = structure.compile_structure(inputs)
    ps = point_params(parameters(inputs)).with_values(updates)
    return float(headlines(st, demand.simulate(st, ps))[metric][0])


def test_recovers_a_known_root(inputs) -> None:
    # every FLOP scales with compute_multiplier (fixed at 1): the peak is proportional to it,
    # so 1.5x the current peak needs a multiplier of exactly 1.5
    now = _metric(inputs, "peak_installed_a100e")
    out = goalseek.goal_seek(inputs, "peak_installed_a100e", 1.5 * now)
    row = out.filter(pl.col("input") == MULT).row(0, named=True)
    assert row["status"] == goalseek.REACHED
    assert row["value"] == pytest.approx(1.5, rel=1e-7)
    assert row["range"].startswith("fixed")
    assert row["metric_at_current"] == pytest.approx(now)
    # every reached root really gives the target when put back into the model
    for r in out.filter(pl.col("status") == goalseek.REACHED).iter_rows(named=True):
        got = _metric(inputs, "peak_installed_a100e", **{r["input"]: r["value"]})
        assert got == pytest.approx(1.5 * now, rel=1e-6)
    ratios = out.filter(pl.col("status") == goalseek.REACHED)["ratio"].to_numpy()
    assert np.all(np.diff(np.abs(np.log(ratios))) >= -1e-12)  # smallest change first


def test_unreachable_and_no_effect(inputs) -> None:
    now = _metric(inputs, "a100e_shipped_2023_2030")
    out = goalseek.goal_seek(inputs, "a100e_shipped_2023_2030", 10 * now)
    status = dict(zip(out["input"], out["status"], strict=True))
    # serving utilisation is uncertain (uniform 0.25-0.75): 10x the chips is out of its range
    assert status["usage:*:serving_utilization"] == goalseek.UNREACHABLE
    row = out.filter(pl.col("input") == "usage:*:serving_utilization").row(0, named=True)
    assert (row["low"], row["high"]) == pytest.approx((0.2505, 0.7495))
    assert status["chip_specs:A800-80GB-SXM:price_usd"] == goalseek.NO_EFFECT
    assert "fleet::reference_tflops" not in status
    # a fixed fraction is not searched beyond 1
    ret = out.filter(pl.col("input") == "fleet::training_fleet_retention")
    assert ret.height == 0 or ret["high"][0] <= 1.0


def test_unknown_metric_is_a_usage_error(inputs) -> None:
    with pytest.raises(UsageError, match="peak_installed_units"):
        goalseek.goal_seek(inputs, "chips", 1.0)
