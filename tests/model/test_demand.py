"""The deterministic demand model on tiny inputs with hand-computed expectations
(tests/fixtures/fixture_data.py states the arithmetic)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import SERVE_A100E, TRAIN_A100E, copy_data, read_text

from chipcast.checks.outputs import UNITS
from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model import demand, fleet, inference, outputs, params, structure
from chipcast.model.params import parameters, point_params


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def out(tiny: Path) -> pl.DataFrame:
    return outputs.forecast(load_inputs(tiny, "base"))


def _value(out: pl.DataFrame, **where: object) -> float:
    rows = out.filter(*(pl.col(k) == v for k, v in where.items()))
    return float(rows["value"].sum())


def test_long_table_contract(out: pl.DataFrame) -> None:
    assert out.columns == ["month", "scenario", "firm", "workload", "sku", "metric", "value",
                           "unit"]
    assert out.schema["month"] == pl.Date
    months = out["month"].unique().sort()
    assert months[0] == date(2022, 1, 1) and months[-1] == date(2023, 12, 1)
    assert months.len() == 24
    keys = ["month", "firm", "workload", "sku", "metric"]
    assert out.select(keys).is_duplicated().sum() == 0
    assert (out["value"] >= 0).all()
    assert set(out["metric"]) == set(UNITS)


def test_training_need_in_the_months_before_release(out: pl.DataFrame) -> None:
    req = dict(metric="a100_equivalents_required", workload="training")
    assert _value(out, firm="a", month=date(2022, 6, 1), **req) == pytest.approx(TRAIN_A100E)
    assert _value(out, firm="a", month=date(2022, 7, 1), **req) == 0.0  # retention 0
    assert _value(out, firm="b", month=date(2022, 12, 1), **req) == pytest.approx(TRAIN_A100E)
    assert _value(out, firm="b", month=date(2022, 11, 1), **req) == 0.0


def test_a_run_straddling_two_months_needs_its_cluster_in_both(tmp_path: Path) -> None:
    releases = read_text("model_releases.csv").replace("a,a-1,c1,2022-07-01",
                                                       "a,a-1,c1,2022-07-15")
    folder = copy_data(tmp_path, {"model_releases.csv": releases})
    out = outputs.forecast(load_inputs(folder, "base"))
    req = dict(firm="a", metric="a100_equivalents_required", workload="training")
    # 30 days before 2022-07-15: 2022-06-15 .. 07-14, a stock in both months, none around them
    assert _value(out, month=date(2022, 6, 1), **req) == pytest.approx(TRAIN_A100E)
    assert _value(out, month=date(2022, 7, 1), **req) == pytest.approx(TRAIN_A100E)
    assert _value(out, month=date(2022, 5, 1), **req) == 0.0
    assert _value(out, month=date(2022, 8, 1), **req) == 0.0


def test_a_month_with_no_chip_to_sell_is_an_input_error(tmp_path: Path) -> None:
    # without the Huawei rows, October 2022 has no legal, launched chip: the A100 is banned
    # and the A800 not out yet
    regimes = "\n".join(line for line in read_text("export_regimes.csv").splitlines()
                        if "Ascend" not in line) + "\n"
    folder = copy_data(tmp_path, {"export_regimes.csv": regimes})
    with pytest.raises(InputError, match=r"no vendor has a legal, launched chip in 1 month"):
        structure.compile_structure(load_inputs(folder, "base"))


def test_inference_need_from_release(out: pl.DataFrame) -> None:
    req = dict(metric="a100_equivalents_required", workload="inference")
    assert _value(out, firm="a", month=date(2022, 6, 1), **req) == 0.0
    assert _value(out, firm="a", month=date(2022, 7, 1), **req) == pytest.approx(SERVE_A100E)
    assert _value(out, firm="b", month=date(2023, 1, 1), **req) == pytest.approx(SERVE_A100E)


def test_vendor_share_and_units(out: pl.DataFrame) -> None:
    june = dict(firm="a", month=date(2022, 6, 1), metric="units_shipped")
    # 2022: NVIDIA 0.8 of A100-e, on the A100 (1 A100-e a unit)
    assert _value(out, sku="A100-80GB-SXM", **june) == pytest.approx(0.8 * TRAIN_A100E)
    # Huawei 0.2 on a 256-TFLOPS chip: 312/256 units per A100-e
    assert _value(out, sku="Ascend-910", **june) == pytest.approx(0.2 * TRAIN_A100E * 312 / 256)
    capex = _value(out, firm="a", month=date(2022, 6, 1), metric="capex_usd")
    expected = 0.8 * TRAIN_A100E * 10_000 + 0.2 * TRAIN_A100E * 312 / 256 * 8_000
    assert capex == pytest.approx(expected)


def test_regime_switch_from_a100_to_a800_in_november_2022(out: pl.DataFrame) -> None:
    shipped = out.filter(pl.col("metric") == "units_shipped", pl.col("value") > 0)
    a100 = shipped.filter(pl.col("sku") == "A100-80GB-SXM")["month"]
    a800 = shipped.filter(pl.col("sku") == "A800-80GB-SXM")["month"]
    assert a100.max() < date(2022, 10, 1)
    assert a800.min() >= date(2022, 11, 1)
    # firm b trains in December 2022: NVIDIA's 0.8 goes to the A800
    dec = dict(firm="b", month=date(2022, 12, 1), metric="units_shipped")
    assert _value(out, sku="A800-80GB-SXM", **dec) == pytest.approx(0.8 * TRAIN_A100E)


def test_stock_flow_reuses_the_training_cluster_then_replaces(out: pl.DataFrame) -> None:
    a = out.filter(pl.col("firm") == "a")
    shipped = (a.filter(pl.col("metric") == "a100_equivalents")  # installed A100-e
               .group_by("month").agg(pl.col("value").sum()).sort("month"))
    by_month = dict(zip(shipped["month"], shipped["value"], strict=True))
    # June 2022: the training cluster is bought; it serves inference until it retires
    assert by_month[date(2022, 6, 1)] == pytest.approx(TRAIN_A100E)
    assert by_month[date(2023, 5, 1)] == pytest.approx(TRAIN_A100E)
    # lifetime 12 months: June 2023 replaces it with what inference needs
    assert by_month[date(2023, 6, 1)] == pytest.approx(SERVE_A100E)
    units = a.filter(pl.col("metric") == "units_shipped").group_by("month").agg(
        pl.col("value").sum())
    months_with_shipments = sorted(units.filter(pl.col("value") > 0)["month"])
    assert months_with_shipments == [date(2022, 6, 1), date(2023, 6, 1)]


def test_fleet_metrics_split_by_workload_share(out: pl.DataFrame) -> None:
    july = out.filter(pl.col("firm") == "a", pl.col("month") == date(2022, 7, 1),
                      pl.col("metric") == "a100_equivalents")
    # July: no training need, so the whole (former training) fleet counts as inference
    assert july.filter(pl.col("workload") == "training")["value"].sum() == 0.0
    assert july.filter(pl.col("workload") == "inference")["value"].sum() == pytest.approx(
        TRAIN_A100E)


def test_retention_keeps_the_training_cluster(tiny: Path, tmp_path: Path) -> None:
    fleet = (tiny / "fleet.csv").read_text().replace(
        "training_fleet_retention,0,", "training_fleet_retention,1,")
    folder = copy_data(tmp_path, {"fleet.csv": fleet})
    out = outputs.forecast(load_inputs(folder, "base"))
    req = _value(out, firm="a", month=date(2022, 9, 1), metric="a100_equivalents_required")
    assert req == pytest.approx(TRAIN_A100E + SERVE_A100E)


def _reference_stock_flow(need: np.ndarray, lifetime: int) -> tuple[np.ndarray, np.ndarray]:
    """Slow, obvious stock-flow for one series: the vectorised one must agree."""
    shipped, installed = np.zeros_like(need), np.zeros_like(need)
    for m in range(need.size):
        retired = shipped[m - lifetime] if m >= lifetime else 0.0
        before = installed[m - 1] if m else 0.0
        shipped[m] = max(0.0, need[m] - before + retired)
        installed[m] = before + shipped[m] - retired
    return shipped, installed


def test_vectorised_stock_flow_equals_reference_loop() -> None:
    rng = np.random.default_rng(7)
    need = rng.gamma(2.0, 100.0, size=(5, 3, 40)) * (rng.random((5, 3, 40)) > 0.3)
    lifetimes = np.array([1, 3, 6, 12, 48])
    shipped, installed = fleet.stock_flow(need, lifetimes)
    for d, life in enumerate(lifetimes):
        for f in range(3):
            ref_s, ref_i = _reference_stock_flow(need[d, f], int(life))
            np.testing.assert_allclose(shipped[d, f], ref_s, atol=1e-6)
            np.testing.assert_allclose(installed[d, f], ref_i, atol=1e-6)
    assert (installed >= need - 1e-6).all()  # the fleet always covers the need


def test_simulate_many_draws_equals_one_draw_at_a_time(tiny: Path) -> None:
    inputs = load_inputs(tiny, "base")
    st = structure.compile_structure(inputs)
    point = point_params(parameters(inputs))
    rng = np.random.default_rng(1)
    mfu = rng.uniform(0.3, 0.6, 4)
    util = rng.uniform(0.25, 0.75, 4)
    many = params.ParamSet(dict(point), 4).with_values(
        {"model_classes:*:mfu": mfu, "usage:*:serving_utilization": util})
    sim = demand.simulate(st, many)
    metrics = outputs.sku_metrics(sim)
    for d in range(4):
        one = point.with_values({"model_classes:*:mfu": mfu[d],
                                 "usage:*:serving_utilization": util[d]})
        ref = demand.simulate(st, one)
        np.testing.assert_allclose(sim.installed[d], ref.installed[0])
        for name, arr in outputs.sku_metrics(ref).items():
            np.testing.assert_allclose(metrics[name][d], arr[0], equal_nan=True)


def test_bass_adoption() -> None:
    years = np.array([-1.0, 0.0, 1.0, 50.0])
    f = inference.bass_adoption(np.array(0.03), np.array(0.38), years)
    assert f[0] == 0 and f[1] == 0 and 0 < f[2] < 1 and f[3] == pytest.approx(1.0)
    # Bass closed form at t = 1
    p, q = 0.03, 0.38
    e = np.exp(-(p + q))
    assert f[2] == pytest.approx((1 - e) / (1 + q / p * e))
