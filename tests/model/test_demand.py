"""The deterministic demand model on tiny inputs with hand-computed expectations
(tests/fixtures/fixture_data.py states the arithmetic)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import (
    ASCEND_A100E,
    CARDS_PER_A100E_2022,
    CARDS_PER_A100E_2023,
    SERVE_A100E,
    TRAIN_A100E,
    copy_data,
    read_text,
)
from grain import by_buyer, by_sku, by_vendor, monthly, total

from chipcast.checks.outputs import UNITS
from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model import demand, fleet, inference, outputs, params, series, structure
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
    assert out.columns == ["month", "scenario", "firm", "workload", "sku", "vendor", "metric",
                           "value", "unit"]
    assert out.schema["month"] == pl.Date
    months = out["month"].unique().sort()
    assert months[0] == date(2022, 1, 1) and months[-1] == date(2023, 12, 1)
    assert months.len() == 24
    keys = ["month", "firm", "workload", "sku", "vendor", "metric"]
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
    # without Huawei's mix, October 2022 has no legal, launched chip: the A100 is banned and
    # the A800 not out yet
    mix = "\n".join(line for line in read_text("sku_mix.csv").splitlines()
                    if "Ascend" not in line) + "\n"
    folder = copy_data(tmp_path, {"sku_mix.csv": mix})
    inputs = load_inputs(folder, "base")
    st = structure.compile_structure(inputs)
    with pytest.raises(InputError, match=r"legal, launched chip in its mix in 1 month"):
        demand.simulate(st, point_params(parameters(inputs)))


def test_inference_need_from_release(out: pl.DataFrame) -> None:
    req = dict(metric="a100_equivalents_required", workload="inference")
    assert _value(out, firm="a", month=date(2022, 6, 1), **req) == 0.0
    assert _value(out, firm="a", month=date(2022, 7, 1), **req) == pytest.approx(SERVE_A100E)
    assert _value(out, firm="b", month=date(2023, 1, 1), **req) == pytest.approx(SERVE_A100E)


def test_vendor_shares_are_shares_of_cards(out: pl.DataFrame) -> None:
    june = dict(month=date(2022, 6, 1), metric="units_shipped")
    # June 2022: only firm a ships (its training cluster); 0.8 of the cards are NVIDIA's (all
    # A100: the A800 is not out) and 0.2 Huawei's, whatever each card's compute
    cards = TRAIN_A100E * CARDS_PER_A100E_2022
    assert _value(out, firm="a", sku="all", **june) == pytest.approx(cards)
    assert _value(out, firm="all", sku="A100-80GB-SXM", **june) == pytest.approx(0.8 * cards)
    assert _value(out, firm="all", sku="Ascend-910", **june) == pytest.approx(0.2 * cards)
    assert _value(out, firm="all", sku="all", vendor="Huawei", **june) == pytest.approx(
        0.2 * cards)
    # the cards carry exactly the A100-e shipped
    a100e = by_sku(out, "a100_equivalents_shipped").filter(pl.col("month") == date(2022, 6, 1))
    assert a100e["value"].sum() == pytest.approx(TRAIN_A100E)
    assert a100e.filter(pl.col("sku") == "Ascend-910")["value"].sum() == pytest.approx(
        0.2 * cards * ASCEND_A100E)
    capex = _value(out, firm="a", month=date(2022, 6, 1), metric="capex_usd")
    assert capex == pytest.approx(0.8 * cards * 10_000 + 0.2 * cards * 8_000)


def test_card_shares_equal_the_inputs_in_every_month_with_both_vendors(out: pl.DataFrame
                                                                        ) -> None:
    vendors = by_vendor(out, "units_shipped").pivot(on="vendor", index="month", values="value")
    shipping = vendors.filter((pl.col("NVIDIA") + pl.col("Huawei")) > 0)
    assert shipping.height >= 4  # June, December 2022; January and June 2023 at least
    for row in shipping.iter_rows(named=True):
        share = row["NVIDIA"] / (row["NVIDIA"] + row["Huawei"])
        if row["month"] == date(2022, 10, 1):
            assert share == 0.0  # no NVIDIA chip is legal and launched in October 2022
        else:
            assert share == pytest.approx(0.8 if row["month"].year == 2022 else 0.5)


def test_regime_switch_from_a100_to_a800_in_november_2022(out: pl.DataFrame) -> None:
    shipped = by_sku(out, "units_shipped").filter(pl.col("value") > 0)
    a100 = shipped.filter(pl.col("sku") == "A100-80GB-SXM")["month"]
    a800 = shipped.filter(pl.col("sku") == "A800-80GB-SXM")["month"]
    assert a100.max() < date(2022, 10, 1)
    assert a800.min() >= date(2022, 11, 1)
    # firm b trains in December 2022: NVIDIA's 0.8 of the cards are all A800 (the A100 is
    # banned, so NVIDIA's mix renormalises onto the A800)
    dec = dict(firm="all", month=date(2022, 12, 1), metric="units_shipped")
    cards = TRAIN_A100E * CARDS_PER_A100E_2022
    assert _value(out, sku="A800-80GB-SXM", **dec) == pytest.approx(0.8 * cards)
    assert _value(out, sku="A100-80GB-SXM", **dec) == 0.0


def test_stock_flow_reuses_the_training_cluster_then_replaces(out: pl.DataFrame) -> None:
    a = out.filter(pl.col("firm") == "a")
    installed = monthly(a.filter(pl.col("metric") == "a100_equivalents"))
    by_month = dict(zip(installed["month"], installed["value"], strict=True))
    # June 2022: the training cluster is bought; it serves inference until it retires
    assert by_month[date(2022, 6, 1)] == pytest.approx(TRAIN_A100E)
    assert by_month[date(2023, 5, 1)] == pytest.approx(TRAIN_A100E)
    # lifetime 12 months: June 2023 replaces it with what inference needs
    assert by_month[date(2023, 6, 1)] == pytest.approx(SERVE_A100E)
    units = monthly(a.filter(pl.col("metric") == "units_shipped"))
    months_with_shipments = sorted(units.filter(pl.col("value") > 0)["month"])
    assert months_with_shipments == [date(2022, 6, 1), date(2023, 6, 1)]
    # cards at each month's market mix: 2023's is 0.5/0.5
    june_2023 = dict(zip(units["month"], units["value"], strict=True))[date(2023, 6, 1)]
    assert june_2023 == pytest.approx(SERVE_A100E * CARDS_PER_A100E_2023)


def test_idle_compute_is_the_fleet_beyond_the_need(out: pl.DataFrame) -> None:
    idle = monthly(by_buyer(out, "a100_equivalents_idle").filter(pl.col("firm") == "a"))
    by_month = dict(zip(idle["month"], idle["value"], strict=True))
    # July 2022 - May 2023: the training cluster serves a smaller inference need
    assert by_month[date(2022, 7, 1)] == pytest.approx(TRAIN_A100E - SERVE_A100E)
    assert by_month[date(2022, 6, 1)] == pytest.approx(0.0, abs=1e-9)
    assert by_month[date(2023, 6, 1)] == pytest.approx(0.0, abs=1e-9)
    # market total idle = the sum over buyers
    t = monthly(total(out, "a100_equivalents_idle"))
    np.testing.assert_allclose(t["value"], idle["value"] + monthly(
        by_buyer(out, "a100_equivalents_idle").filter(pl.col("firm") == "b"))["value"])


def test_the_two_partitions_sum_to_the_same_total(out: pl.DataFrame) -> None:
    for metric in ("units_shipped", "units_installed", "a100_equivalents",
                   "a100_equivalents_shipped", "capex_usd"):
        t = monthly(total(out, metric))["value"]
        np.testing.assert_allclose(monthly(by_buyer(out, metric))["value"], t, rtol=1e-9)
        np.testing.assert_allclose(monthly(by_sku(out, metric))["value"], t, rtol=1e-9)
        np.testing.assert_allclose(monthly(by_vendor(out, metric))["value"], t, rtol=1e-9)


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
    values = series.series_values(st, sim, False)[0]
    for d in range(4):
        one = point.with_values({"model_classes:*:mfu": mfu[d],
                                 "usage:*:serving_utilization": util[d]})
        ref = demand.simulate(st, one)
        np.testing.assert_allclose(sim.installed[d], ref.installed[0])
        np.testing.assert_allclose(values[d], series.series_values(st, ref, False)[0][0])


def test_bass_adoption() -> None:
    years = np.array([-1.0, 0.0, 1.0, 50.0])
    f = inference.bass_adoption(np.array(0.03), np.array(0.38), years)
    assert f[0] == 0 and f[1] == 0 and 0 < f[2] < 1 and f[3] == pytest.approx(1.0)
    # Bass closed form at t = 1
    p, q = 0.03, 0.38
    e = np.exp(-(p + q))
    assert f[2] == pytest.approx((1 - e) / (1 + q / p * e))
