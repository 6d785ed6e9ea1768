"""Back-test and calibration (chipcast.uncertainty.backtest): every actual's quantity per draw
against an independent aggregation of the model's published series, quantiles of per-draw sums,
history matching recovering a known parameter, the out-of-sample split and the errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from fixture_data import copy_data

from chipcast.contracts import HEADLINES, QUANTILES
from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model import demand, series
from chipcast.model.params import parameters
from chipcast.model.structure import compile_structure
from chipcast.uncertainty import backtest
from chipcast.uncertainty.montecarlo import Actuals, draw_values, run_monte_carlo
from chipcast.uncertainty.sampling import draw_plan

HEADER = ("id,quantity,vendor,family,sku,firm,start,end,value,low,high,unit,source,published,"
          "note\n")
# quantities of every kind, filtered by vendor, family, sku and buyer (market scenario)
ACTUALS = HEADER + "".join(row + "\n" for row in [
    "huawei-2023,units_shipped,Huawei,,,,2023-01,2023-12,5000,400"
    "0,6000,units,test,2024-02-01,",
    "nvidia-share-2024,card_share,NVIDIA,,,,2024-01,2024-12,0.4,0"
    ".3,0.5,fraction,test,2025-02-01,",
    "a800-a100e,a100_equivalents_shipped,,,A800-80GB-SXM,,2023-03"
    ",2024-08,9000,8000,10000,A100-eq,test,2024-10-01,",
    "nvidia-revenue,revenue_usd,NVIDIA,,,,2022-07,2023-06,5e7,4e7"
    ",6e7,USD,test,2023-08-01,",
    "a100-installed,units_installed,,A100,,,2022-09,2022-09,3000,"
    "2500,3500,units,test,2022-10-15,",
    "centres-cards,units_shipped,,,,centres,2024-01,2025-06,6000,"
    "5000,7000,units,test,2025-08-01,",
    "b-tokens,tokens_per_day,,,,b,2024-01,2024-06,1e11,8e10,1.2e1"
    "1,tokens/day,test,2024-07-15,",
])


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory):
    folder = copy_data(tmp_path_factory.mktemp("bt"), {"actuals.csv": ACTUALS})
    return load_inputs(folder, "market")


def _series_sum(vals: np.ndarray, meta: series.SeriesMeta, metric: str, months: tuple[str, str],
                **labels: object) -> np.ndarray:
    """Per draw, the sum of the published series with these labels over a window of months
    (YYYY-MM bounds, inclusive): a second path to each actual's quantity."""
    month = meta.month.astype("datetime64[M]")
    mask = (meta.metric == metric) & (month >= np.datetime64(months[0])) & \
        (month <= np.datetime64(months[1]))
    for column, want in labels.items():
        got = getattr(meta, column)
        mask &= np.isin(got, want) if isinstance(want, list) else (got == want)
    assert mask.any(), (metric, labels)
    return vals[:, mask].sum(axis=1)


def test_each_quantity_per_draw_equals_the_published_series(market) -> None:
    st = compile_structure(market)
    plan = draw_plan(market, parameters(market), "random", seed=5)
    sim = demand.simulate(st, plan.paramset(plan.draw_matrix(48)))
    vals, meta = series.series_values(st, sim)
    got = backtest.evaluate(st, sim, backtest.targets(st, market.actuals))
    per_sku = {"firm": "all"}
    a100 = [s for s, f in zip(market.chips["sku"], market.chips["family"], strict=True)
            if f == "A100"]
    expected = {
        "huawei-2023": _series_sum(vals, meta, "units_shipped", ("2023-01", "2023-12"),
                                   vendor="Huawei", sku=[*market.chips["sku"]], **per_sku),
        "nvidia-share-2024": _series_sum(vals, meta, "units_shipped", ("2024-01", "2024-12"),
                                         vendor="NVIDIA", sku=[*market.chips["sku"]], firm="all")
        / _series_sum(vals, meta, "units_shipped", ("2024-01", "2024-12"), firm="all",
                      sku="all", vendor="all", workload="all"),
        "a800-a100e": _series_sum(vals, meta, "a100_equivalents_shipped",
                                  ("2023-03", "2024-08"), sku="A800-80GB-SXM", **per_sku),
        "nvidia-revenue": _series_sum(vals, meta, "capex_usd", ("2022-07", "2023-06"),
                                      vendor="NVIDIA", sku=[*market.chips["sku"]], firm="all"),
        "a100-installed": _series_sum(vals, meta, "units_installed", ("2022-09", "2022-09"),
                                      sku=a100, **per_sku),
        "centres-cards": _series_sum(vals, meta, "units_shipped", ("2024-01", "2025-06"),
                                     firm="centres", sku="all"),
        "b-tokens": _series_sum(vals, meta, "tokens_per_day", ("2024-01", "2024-06"),
                                firm="b") / 6,
    }
    ids = list(market.actuals["id"])
    for name, want in expected.items():
        np.testing.assert_allclose(got[:, ids.index(name)], want, rtol=1e-9, err_msg=name)
    assert (got.std(axis=0) > 0).all()  # every quantity varies over the draws


def test_scores_are_quantiles_of_per_draw_sums_not_sums_of_quantiles(market) -> None:
    st = compile_structure(market)
    tg = backtest.targets(st, market.actuals)
    plan = draw_plan(market, parameters(market), "sobol", seed=1)
    values = backtest.draw_values(st, plan, tg, 256)
    rows = backtest.score(tg, values, None)
    j = [t.id for t in tg].index("huawei-2023")
    want = np.quantile(values[:, j], [0.1, 0.5, 0.9], method="hazen")
    row = rows.row(j, named=True)
    assert [row["p10"], row["p50"], row["p90"]] == pytest.approx(list(want), rel=1e-12)
    assert row["inside"] == (row["p10"] <= row["value"] <= row["p90"])
    assert row["ratio"] == pytest.approx(row["value"] / row["p50"])
    # the sum of monthly medians is another number: the test above would catch it
    sim = demand.simulate(st, plan.paramset(plan.draw_matrix(256)))
    vals, meta = series.series_values(st, sim)
    month = meta.month.astype("datetime64[Y]").astype(int) + 1970
    cols = (meta.metric == "units_shipped") & (meta.vendor == "Huawei") & \
        (meta.firm == "all") & (month == 2023)
    monthly_medians = np.quantile(vals[:, cols], 0.5, axis=0, method="hazen").sum()
    assert abs(monthly_medians - row["p50"]) > 1e-6 * row["p50"]


def _training_only_world(tmp_path: Path, mfu_truth: float, halfwidth: float) -> tuple:
    """The fixture world with one actual: June 2022's A100-e shipped, i.e. firm a's training
    cluster 6e23 / (312e12 x MFU x 30 days), reported at a known MFU within +-halfwidth."""
    truth = 6e23 / (312e12 * mfu_truth * 30 * 86_400)
    actuals = HEADER + (f"june,a100_equivalents_shipped,,,,,2022-06,2022-06,{truth},"
                        f"{truth * (1 - halfwidth)},{truth * (1 + halfwidth)},A100-eq,test,"
                        "2022-08-01,\n")
    inputs = load_inputs(copy_data(tmp_path, {"actuals.csv": actuals}), "base")
    return inputs, truth


def test_history_matching_recovers_a_known_parameter(tmp_path: Path) -> None:
    inputs, _ = _training_only_world(tmp_path, mfu_truth=0.4, halfwidth=0.02)
    st = compile_structure(inputs)
    tg = backtest.targets(st, inputs.actuals)
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=3)
    x = plan.draw_matrix(4096)
    values = backtest.evaluate(st, demand.simulate(st, plan.paramset(x)), tg)
    mfu = x[:, plan.ids.index("model_classes:*:mfu")]
    assert mfu.mean() == pytest.approx(0.45, abs=0.01)  # the prior: uniform(0.3, 0.6)
    # with a small model discrepancy the figure pins the MFU: every kept draw lies where
    # |ln(0.4 / mfu)| <= 3 x sqrt(sigma^2 + 0.01^2), sigma = max(ln(1.02 / 0.98) / 3.29, the
    # 0.05 floor of a reported figure's error) = 0.05
    weights = backtest.calibration_weights(values, tg, discrepancy=0.01)
    kept = weights > 0
    sigma = max(np.log(1.02 / 0.98) / (2 * 1.6448536269514722), 0.05)
    limit = 3 * np.hypot(sigma, 0.01)
    assert kept.sum() > 100
    assert np.abs(np.log(0.4 / mfu[kept])).max() <= limit + 1e-9
    assert np.abs(np.log(0.4 / mfu[~kept])).min() >= limit - 1e-9
    assert weights @ mfu == pytest.approx(0.4, abs=0.01)
    assert mfu[kept].std() < 0.5 * mfu.std()
    assert backtest.effective_sample_size(weights) == pytest.approx(kept.sum())
    # the default discrepancy (0.3) cannot tell 0.3 from 0.6: nothing is ruled out
    assert backtest.calibration_weights(values, tg).min() > 0


def test_calibrated_monte_carlo_publishes_the_kept_draws_quantiles(tmp_path: Path) -> None:
    inputs, truth = _training_only_world(tmp_path, mfu_truth=0.4, halfwidth=0.02)
    st = compile_structure(inputs)
    tg = backtest.targets(st, inputs.actuals)
    mc = run_monte_carlo(inputs, 1024, seed=3, actuals=Actuals(tg, True, None, 0.01))
    assert mc.ess is not None and 50 < mc.ess < 1024
    q = mc.quantiles.filter(pl.col("metric") == "a100_equivalents_shipped",
                            pl.col("firm") == "all", pl.col("sku") == "all",
                            pl.col("vendor") == "all", pl.col("month") == date(2022, 6, 1),
                            pl.col("stat") == "quantile", pl.col("quantile") == 0.5)
    by = dict(zip(q["calibration"], q["value"], strict=True))
    # independent: the kept draws' Hazen median of the same series
    kept = mc.weights > 0
    vals = mc.actual_values[kept, 0]
    assert by["posterior"] == pytest.approx(np.quantile(vals, 0.5, method="hazen"), rel=1e-6)
    assert by["posterior"] == pytest.approx(truth, rel=0.03)
    assert abs(by["prior"] / truth - 1) > 0.05  # the prior median is elsewhere


def test_every_draw_ruled_out_names_the_figure(tmp_path: Path) -> None:
    actuals = HEADER + ("impossible,units_shipped,,,,,2022-06,2022-06,1e9,9e8,1.1e9,units,"
                        "test,2022-08-01,\n")
    inputs = load_inputs(copy_data(tmp_path, {"actuals.csv": actuals}), "base")
    with pytest.raises(InputError, match=r"no draw reaches impossible \(implausibility"):
        backtest.study(inputs, inputs.actuals, draws=64, calibrate=True)


def test_draws_grow_until_enough_are_kept_then_stop(tmp_path: Path) -> None:
    inputs, _ = _training_only_world(tmp_path, mfu_truth=0.4, halfwidth=0.02)
    s = backtest.study(inputs, inputs.actuals, draws=64, calibrate=True, discrepancy=0.01,
                       ess_floor=1e9)
    assert s.draws == 64 * backtest.MAX_DRAW_GROWTH  # 64, 256, 1024: the cap
    first = backtest.study(inputs, inputs.actuals, draws=64, calibrate=True,
                           discrepancy=0.01, ess_floor=1)
    floor = first.ess + 1  # more than 64 draws keep
    s = backtest.study(inputs, inputs.actuals, draws=64, calibrate=True, discrepancy=0.01,
                       ess_floor=floor)
    assert s.draws == 256 and s.ess >= floor


def test_fit_until_scores_the_later_actuals_out_of_sample(market) -> None:
    s = backtest.study(market, market.actuals, draws=256, calibrate=True,
                       fit_until=date(2024, 2, 1))
    published = dict(zip(market.actuals["id"], market.actuals["published"], strict=True))
    assert set(s.fitted) == {i for i, p in published.items() if p <= date(2024, 2, 29)}
    assert "huawei-2023" in s.fitted  # published 2024-02-01: by the end of February
    scored = set(s.rows("posterior")["id"])
    assert scored == set(published) - set(s.fitted) and scored
    assert s.rows("prior").height == len(published)


@pytest.mark.parametrize(("row", "column"), [
    ("x,units_shipped,Intel,,,,2023-01,2023-02,1,1,1,units,test,2024-01-01,", "vendor"),
    ("x,units_shipped,,,,zz,2023-01,2023-02,1,1,1,units,test,2024-01-01,", "firm"),
    ("x,units_shipped,,,,,2021-01,2023-02,1,1,1,units,test,2024-01-01,", "start"),
    ("x,tokens_per_day,NVIDIA,,,,2023-01,2023-02,1,1,1,tokens/day,test,2024-01-01,", "sku"),
    ("x,card_share,,,,,2023-01,2023-02,1,1,1,units,test,2024-01-01,", "unit"),
])
def test_unresolvable_actuals_name_their_column(tmp_path: Path, row: str, column: str) -> None:
    inputs = load_inputs(copy_data(tmp_path, {"actuals.csv": HEADER + row + "\n"}), "base")
    with pytest.raises(InputError) as err:
        backtest.targets(compile_structure(inputs), inputs.actuals)
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("actuals.csv", 1, column)


@pytest.mark.parametrize("second_pass", ["as_needed", "every_series"])
def test_streamed_calibrated_monte_carlo_within_the_stated_bounds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second_pass: str) -> None:
    """A calibrated run streamed (one pass: the prior over every draw, the posterior over the
    draws the actuals keep, both binned over the first chunk's range; with every series
    recounted over its full range in a second pass, or only those outside the pilot range)
    against the same run kept exact: prior and posterior within (max - min) / bins of each
    series plus float32 rounding; the same weights."""
    from chipcast.uncertainty import montecarlo as mc

    if second_pass == "every_series":
        monkeypatch.setattr(mc.OnePassHistogram, "outside",
                            lambda self, qs: np.ones(self.lo.size, dtype=bool))
    inputs, _ = _training_only_world(tmp_path, mfu_truth=0.4, halfwidth=0.02)
    st = compile_structure(inputs)
    actuals = Actuals(backtest.targets(st, inputs.actuals), True, None, 0.01)
    bins = 128
    exact = run_monte_carlo(inputs, 1024, seed=3, actuals=actuals, chunk=256)
    passes: list[int] = []
    streamed = run_monte_carlo(inputs, 1024, seed=3, actuals=actuals, chunk=256,
                               exact_bytes=0, bins=bins,
                               progress=lambda done, total: passes.append(total // 4))
    assert set(passes) == ({1} if second_pass == "as_needed" else {1, 2})
    assert streamed.weights is not None and exact.weights is not None
    np.testing.assert_array_equal(streamed.weights, exact.weights)
    assert 0 < (exact.weights > 0).sum() < 1024  # the calibration keeps some draws, not all
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=3)
    vals, meta = mc_values(st, plan)
    span = pl.DataFrame({
        "month": meta.month, "firm": meta.firm.astype(str), "workload": meta.workload.astype(str),
        "sku": meta.sku.astype(str), "vendor": meta.vendor.astype(str),
        "metric": meta.metric.astype(str), "span": (vals.max(axis=0) - vals.min(axis=0)),
    }).with_columns(pl.col("month").cast(pl.Date))
    key = ["month", "firm", "workload", "sku", "vendor", "metric", "stat", "quantile",
           "calibration"]
    j = exact.quantiles.join(streamed.quantiles, on=key, nulls_equal=True, suffix="_s")
    assert j.height == exact.quantiles.height
    j = j.join(span, on=["month", "firm", "workload", "sku", "vendor", "metric"])
    assert set(j["calibration"]) == {"prior", "posterior"}
    err = ((pl.col("value") - pl.col("value_s")).abs() - pl.col("span") / bins
           - 1e-6 * pl.col("value").abs())
    assert j.select(err.max()).item() <= 0
    assert j.select((pl.col("value") - pl.col("value_s")).abs().max()).item() > 0
    # the headlines are kept draw by draw: prior and posterior quantiles as the exact run's
    heads = j.filter(pl.col("metric").is_in(list(HEADLINES)), pl.col("stat") == "quantile")
    assert heads.height == 2 * len(HEADLINES) * len(QUANTILES)
    np.testing.assert_allclose(heads["value_s"], heads["value"], rtol=1e-12)


def test_streamed_batches_of_any_size_count_the_same(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A streamed calibrated run folds its chunks into the histograms in batches (FOLD_BYTES):
    one chunk a batch, three (the last batch partial) or every draw at once give identical
    prior and posterior quantiles and means, so each batch folds the posterior over its own
    draws' kept masks."""
    from chipcast.uncertainty import montecarlo as mc

    inputs, _ = _training_only_world(tmp_path, mfu_truth=0.4, halfwidth=0.02)
    st = compile_structure(inputs)
    actuals = Actuals(backtest.targets(st, inputs.actuals), True, None, 0.01)
    per_chunk = 256 * 4 * mc.n_values(st)
    runs = []
    for chunks in (1, 3, 64):
        monkeypatch.setattr(mc, "FOLD_BYTES", chunks * per_chunk)
        assert mc.fold_draws(256, 1024, mc.n_values(st)) == min(chunks, 4) * 256
        runs.append(run_monte_carlo(inputs, 1024, seed=3, actuals=actuals, chunk=256,
                                    exact_bytes=0, bins=128))
    assert runs[0].weights is not None and 0 < (runs[0].weights > 0).sum() < 1024
    assert set(runs[0].quantiles["calibration"]) == {"prior", "posterior"}
    for other in runs[1:]:
        assert other.quantiles.equals(runs[0].quantiles)


def mc_values(st, plan) -> tuple[np.ndarray, series.SeriesMeta]:
    """Every Monte Carlo value (series and headlines) of the run's 1,024 draws, float64."""
    return draw_values(st, demand.simulate(st, plan.paramset(plan.draw_matrix(1024))))
