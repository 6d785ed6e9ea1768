"""The whole market on the fixture scenario `market` (tests/fixtures/data/scenarios/market.yaml):
later model generations, procurement ramps, usage growth and API traffic, the segments beside
the firms, the cards installed before the grid, and card shares carried forward.

Every expectation is recomputed here month by month from the scenario's stated numbers with
Python dates and loops (not the model's arrays), over several years, buyers, vendors and SKUs.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import ASCEND_A100E, TRAIN_A100E, copy_data
from grain import by_buyer, by_sku, by_vendor, monthly, total

from chipcast.inputs import load_inputs
from chipcast.model import outputs

YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12
LEAD_DAYS = 3 * MONTH_DAYS  # market.yaml: procurement_lead_months 3
RUN_DAYS = 30  # class c1's training days
INTERVAL_DAYS = 12 * MONTH_DAYS  # release_path: firm a every 12 months
COMPUTE_GROWTH, PARAMS_GROWTH = 2.0, 1.5
RELEASE_A, RELEASE_B = datetime(2022, 7, 1), datetime(2023, 1, 1)
LIFETIME_MONTHS = 24
TOKENS_PER_USER_DAY = 1 * 750 * 4 / 3  # one question of 750 words at 4/3 tokens a word
USERS = 5e7
SERVE_FLOPS_PER_TOKEN = 2 * 1e11 * 0.5  # 2 N x served_model_fraction 0.5


def months() -> list[date]:
    return [date(y, m, 1) for y in range(2022, 2026) for m in range(1, 13)]


def month_end(m: date) -> datetime:
    return datetime(m.year + m.month // 12, m.month % 12 + 1, 1)


def decimal_year(m: date) -> float:
    """Mid-month (the 15th) as a decimal year on a 365.25-day year from 1970."""
    mid = datetime(m.year, m.month, 15)
    return 1970 + (mid - datetime(1970, 1, 1)).days / YEAR_DAYS


def cluster_need(m: date, busy: float, release: datetime) -> float:
    """A cluster bought linearly over the lead before its run, needed in full until release."""
    start = release - timedelta(days=RUN_DAYS)
    ramp_start = start - timedelta(days=LEAD_DAYS)
    if datetime(m.year, m.month, 1) >= release:
        return 0.0
    reached = min(month_end(m), start)
    frac = (reached - ramp_start) / timedelta(days=LEAD_DAYS)
    return busy * min(max(frac, 0.0), 1.0)


def a_generation(k: int) -> datetime:
    return RELEASE_A + timedelta(days=k * INTERVAL_DAYS)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    folder: Path = copy_data(tmp_path_factory.mktemp("market"))
    return outputs.forecast(load_inputs(folder, "market"))


def _series(rows: pl.DataFrame) -> dict[date, float]:
    per_month = monthly(rows)
    return dict(zip(per_month["month"], per_month["value"], strict=True))


def test_training_ramps_over_the_lead_and_generations_grow(out: pl.DataFrame) -> None:
    got = _series(by_buyer(out, "a100_equivalents_required").filter(
        pl.col("firm") == "a", pl.col("workload") == "training"))
    for m in months():
        expected = cluster_need(m, TRAIN_A100E, RELEASE_A)
        for k in range(1, 5):  # generations a year apart, each twice the compute
            expected += cluster_need(m, TRAIN_A100E * COMPUTE_GROWTH ** k, a_generation(k))
        assert got[m] == pytest.approx(expected, rel=1e-9, abs=1e-9), m
    # the ramp: bought from 1 March 16:30 (91.3 days before the run starts on 1 June), 30.3
    # days of it by the end of March, all of it by the end of May; in full through June
    assert got[date(2022, 2, 1)] == 0.0
    assert 0 < got[date(2022, 3, 1)] < got[date(2022, 4, 1)] < TRAIN_A100E
    assert got[date(2022, 3, 1)] == pytest.approx(TRAIN_A100E * 30.3125 / (3 * MONTH_DAYS))
    assert got[date(2022, 5, 1)] == got[date(2022, 6, 1)] == pytest.approx(TRAIN_A100E)
    # firm b has no release path: its one cluster only
    b = _series(by_buyer(out, "a100_equivalents_required").filter(
        pl.col("firm") == "b", pl.col("workload") == "training"))
    assert sum(v > 0 for v in b.values()) == 4  # September-December 2022


def _chat_tokens(m: date, first: datetime) -> float:
    if month_end(m) <= first:
        return 0.0
    years = (datetime(m.year, m.month, 15) - first).days / YEAR_DAYS
    return USERS * TOKENS_PER_USER_DAY * min(2.0, 1.5 ** max(years, 0.0))


def test_tokens_grow_with_intensity_and_api_traffic(out: pl.DataFrame) -> None:
    tokens = out.filter(pl.col("metric") == "tokens_per_day")
    a = _series(tokens.filter(pl.col("firm") == "a"))
    b = _series(tokens.filter(pl.col("firm") == "b"))
    everyone = _series(tokens.filter(pl.col("firm") == "all"))
    for m in months():
        assert a[m] == pytest.approx(_chat_tokens(m, RELEASE_A), rel=1e-9), m
        api = 0.0 if month_end(m) <= RELEASE_B else 1e11 / (
            1 + math.exp(-2 * (decimal_year(m) - 2024.5)))
        assert b[m] == pytest.approx(_chat_tokens(m, RELEASE_B) + api, rel=1e-9), m
        assert everyone[m] == pytest.approx(a[m] + b[m], rel=1e-12)
    # intensity reaches its ceiling (2x) after log(2)/log(1.5) = 1.71 years
    assert a[date(2025, 6, 1)] == pytest.approx(2 * USERS * TOKENS_PER_USER_DAY)


def test_inference_serves_the_latest_generation_at_the_served_fraction(out: pl.DataFrame
                                                                       ) -> None:
    need = _series(by_buyer(out, "a100_equivalents_required").filter(
        pl.col("firm") == "a", pl.col("workload") == "inference"))
    for m in months():
        out_by_end = [k for k in range(1, 5) if a_generation(k) < month_end(m)]
        k = max(out_by_end, default=0)
        flops_day = SERVE_FLOPS_PER_TOKEN * PARAMS_GROWTH ** k * _chat_tokens(m, RELEASE_A)
        expected = flops_day / (312e12 * 0.5 * 86_400)
        assert need[m] == pytest.approx(expected, rel=1e-9), m


def _pre_grid_survivors(m_index: int) -> dict[str, float]:
    """Cards shipped before 2022 (market/installed_base.csv: 100 Ascend a month in 2020, 200
    A100 a month in 2021) still installed in grid month m_index (a 24-month life)."""
    left = {"Ascend-910": 0.0, "A100-80GB-SXM": 0.0}
    for p in range(24):  # 2020-01 .. 2021-12, grid month 0 is month 24
        if 24 + m_index <= p + LIFETIME_MONTHS - 1:
            left["Ascend-910" if p < 12 else "A100-80GB-SXM"] += 100 if p < 12 else 200
    return left


def test_segments_follow_their_drivers(out: pl.DataFrame) -> None:
    req = by_buyer(out, "a100_equivalents_required")
    firms = req.filter(pl.col("firm").is_in(["a", "b"]))
    survivors = _pre_grid_survivors(0)
    base_at_start = survivors["Ascend-910"] * ASCEND_A100E + survivors["A100-80GB-SXM"]
    assert base_at_start == pytest.approx(1100 * ASCEND_A100E + 2400)
    start = datetime(2022, 1, 1)
    # needs are read mid-month and counted from the month before the grid (t_0)
    t_0 = decimal_year(date(2022, 1, 1)) - 1 / 12

    def centres_path(t: float) -> float:
        return 10_000 / (1 + math.exp(-1.5 * (t - 2024)))

    for workload, share in (("training", 0.25), ("inference", 0.75)):
        others = _series(req.filter(pl.col("firm") == "others", pl.col("workload") == workload))
        mine = _series(firms.filter(pl.col("workload") == workload))
        centres = _series(req.filter(pl.col("firm") == "centres",
                                     pl.col("workload") == workload))
        legacy = _series(req.filter(pl.col("firm") == "legacy", pl.col("workload") == workload))
        for m in months():
            assert others[m] == pytest.approx(0.5 * mine[m], rel=1e-9)
            logistic = centres_path(decimal_year(m)) - centres_path(t_0)
            assert centres[m] == pytest.approx(share * logistic, rel=1e-9)
            t = (datetime(m.year, m.month, 1) - start).days / YEAR_DAYS + 1 / 12
            grown = base_at_start * math.exp(0.4 * (1 - math.exp(-0.5 * t)) / 0.5)
            legacy_share = 0.1 if workload == "training" else 0.9
            assert legacy[m] == pytest.approx(legacy_share * grown, rel=1e-9), m


def test_cards_installed_before_the_grid_stay_until_they_retire(out: pl.DataFrame) -> None:
    installed = by_sku(out, "units_installed")
    shipped = by_sku(out, "units_shipped")
    for i, m in enumerate(months()[:30]):
        left = _pre_grid_survivors(i)
        for sku in ("Ascend-910", "A100-80GB-SXM"):
            rows = (pl.col("sku") == sku) & (pl.col("month") <= m)
            grid = shipped.filter(rows, pl.col("month") > date(m.year - 2, m.month, 1))
            got = installed.filter(pl.col("sku") == sku, pl.col("month") == m)["value"].sum()
            assert got == pytest.approx(left[sku] + grid["value"].sum(), rel=1e-9), (m, sku)
    # the segment owning them needs new cards from its first month on (one month's growth)
    legacy = _series(by_buyer(out, "units_shipped").filter(pl.col("firm") == "legacy"))
    assert legacy[date(2022, 1, 1)] > 0
    assert legacy[date(2022, 2, 1)] > 0  # growth plus February 2020's Ascend cards retiring


def test_the_first_month_is_no_catch_up(out: pl.DataFrame) -> None:
    """Segments' needs count from the month before the grid: no buyer ships its whole starting
    need in the grid's first month (it once shipped the compute centres' whole height at once),
    nor nothing in it."""
    shipped = by_buyer(out, "units_shipped")
    for buyer in ("centres", "legacy"):
        s = _series(shipped.filter(pl.col("firm") == buyer))
        first, later = s[date(2022, 1, 1)], (s[date(2022, 2, 1)] + s[date(2022, 3, 1)]) / 2
        assert 0.3 * later < first < 3 * later, (buyer, first, later)


def test_card_shares_carry_the_last_listed_year_forward(out: pl.DataFrame) -> None:
    vendors = by_vendor(out, "units_shipped").pivot(on="vendor", index="month", values="value")
    checked = 0
    for row in vendors.iter_rows(named=True):
        cards = row["NVIDIA"] + row["Huawei"]
        if cards <= 0 or row["month"] == date(2022, 10, 1):  # October 2022: no NVIDIA chip
            continue
        # market.yaml sets 2024 (0.4/0.6); vendor_share.csv's 2023 (0.5/0.5) holds for 2023
        # only, 2024 carries to 2025, and NVIDIA's 2023 mix (the A800) carries to 2024-2025
        expected = {2022: 0.8, 2023: 0.5, 2024: 0.4, 2025: 0.4}[row["month"].year]
        assert row["NVIDIA"] / cards == pytest.approx(expected, rel=1e-9), row["month"]
        checked += 1
    assert checked >= 40
    nvidia_2025 = by_sku(out, "units_shipped").filter(
        pl.col("vendor") == "NVIDIA", pl.col("month") >= date(2025, 1, 1), pl.col("value") > 0)
    assert set(nvidia_2025["sku"]) == {"A800-80GB-SXM"}


def test_every_partition_sums_to_the_market_total(out: pl.DataFrame) -> None:
    for metric in ("units_shipped", "units_installed", "a100_equivalents", "capex_usd"):
        t = monthly(total(out, metric))["value"].to_numpy()
        for part in (by_buyer, by_sku, by_vendor):
            np.testing.assert_allclose(monthly(part(out, metric))["value"], t, rtol=1e-9)
    buyers = set(by_buyer(out, "units_shipped")["firm"])
    assert buyers == {"a", "b", "others", "centres", "legacy"}
