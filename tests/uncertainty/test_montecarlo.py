"""Monte Carlo on the tiny inputs: vectorised == per-draw loop, seeds, streamed-quantile error
bound, convergence, headlines against the deterministic long table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import fleet_reference
import numpy as np
import polars as pl
import pytest
from fixture_data import copy_data
from grain import by_sku, monthly, total

from chipcast.checks.outputs import UNITS
from chipcast.contracts import FLEET_METRICS, HEADLINES, QUANTILES
from chipcast.inputs import load_inputs
from chipcast.model import demand, outputs, series
from chipcast.model.params import parameters, point_params
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty import montecarlo as mc
from chipcast.uncertainty.sampling import draw_plan

SERIES = ["month", "firm", "workload", "sku", "vendor", "metric"]
KEY = [*SERIES, "stat", "quantile"]
F32 = 1e-6  # the Monte Carlo keeps draws as float32 (7 significant digits)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    return load_inputs(copy_data(tmp_path_factory.mktemp("tiny")), "base")


@pytest.fixture(scope="module")
def structure(inputs) -> Structure:
    return compile_structure(inputs)


@pytest.fixture(scope="module")
def result(inputs) -> pl.DataFrame:
    return mc.forecast_quantiles(inputs, draws=512, seed=1)


def test_vectorised_equals_per_draw_loop(inputs, structure) -> None:
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=42)
    x = plan.draw_matrix(32)
    fast, _ = series.series_values(structure, demand.simulate(structure, plan.paramset(x)))
    slow = np.concatenate([
        series.series_values(structure, demand.simulate(structure, plan.paramset(x[i:i + 1])))[0]
        for i in range(x.shape[0])
    ])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-9)
    assert fast.std(axis=0).max() > 0  # the draws differ


def test_quantiles_equal_numpy_on_the_per_draw_values(inputs, structure, result) -> None:
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=1)
    x = plan.draw_matrix(512)
    per_draw = np.concatenate([
        series.series_values(structure, demand.simulate(structure, plan.paramset(x[i:i + 1])))[0]
        for i in range(0, 512, 8)
    ])  # every 8th draw is enough to pin the column order
    vals, meta = mc.draw_values(structure, demand.simulate(structure, plan.paramset(x)))
    n_series = per_draw.shape[1]
    np.testing.assert_allclose(vals[::8, :n_series], per_draw, rtol=1e-12, atol=1e-9)
    # then one column per headline, as series.headlines computes it
    heads = series.headlines(structure, demand.simulate(structure, plan.paramset(x)))
    np.testing.assert_allclose(vals[:, n_series:], np.stack(list(heads.values()), axis=1))
    for q in QUANTILES:
        got = result.filter(pl.col("quantile") == q)["value"].to_numpy()
        want = np.quantile(vals, q, axis=0, method="hazen")
        np.testing.assert_allclose(got, want, rtol=F32, atol=1e-6)
    mean = result.filter(pl.col("stat") == "mean")["value"].to_numpy()
    np.testing.assert_allclose(mean, vals.mean(axis=0), rtol=F32, atol=1e-6)
    assert meta.size * (len(QUANTILES) + 1) == result.height


def test_contract_and_ordering(result) -> None:
    assert result.columns == ["scenario", "month", "firm", "workload", "sku", "vendor",
                              "metric", "stat", "quantile", "value", "unit"]
    assert result.select(KEY).is_duplicated().sum() == 0
    assert result.filter(pl.col("stat") == "mean")["quantile"].null_count() == \
        result.filter(pl.col("stat") == "mean").height
    wide = result.filter(pl.col("stat") == "quantile").pivot(
        on="quantile", index=SERIES, values="value")
    cols = [str(q) for q in QUANTILES]
    arr = wide.select(cols).to_numpy()
    assert np.all(np.diff(arr, axis=1) >= -1e-9)
    assert (result["value"] >= 0).all()
    assert set(result["metric"]) == set(UNITS) | set(HEADLINES)


def test_totals_are_consistent_across_buyers_and_skus(inputs, structure) -> None:
    plan = draw_plan(inputs, parameters(inputs), "random", seed=3)
    sim = demand.simulate(structure, plan.paramset(plan.draw_matrix(16)))
    buyer, sku = fleet_reference.fleet_by_buyer(structure, sim), series.fleet_by_sku(structure, sim)
    for metric in FLEET_METRICS:
        np.testing.assert_allclose(buyer[metric].sum(axis=1), sku[metric].sum(axis=1),
                                   rtol=1e-9, atol=1e-6)
    # cards: every SKU's A100-e shipped over its A100-e a card, summed = cards per A100-e x
    # the A100-e shipped (the market's card mix)
    cards = (sim.shipped.sum(axis=1) * sim.cards_per_a100e)
    np.testing.assert_allclose(sku["units_shipped"].sum(axis=1), cards, rtol=1e-9, atol=1e-6)


def test_same_seed_identical_other_seed_different(inputs, result) -> None:
    again = mc.forecast_quantiles(inputs, draws=512, seed=1)
    assert again.equals(result)
    other = mc.forecast_quantiles(inputs, draws=512, seed=2)
    assert not np.allclose(other["value"].to_numpy(), result["value"].to_numpy())
    lhs = mc.forecast_quantiles(inputs, draws=512, seed=1, sampler="lhs")
    assert not np.allclose(lhs["value"].to_numpy(), result["value"].to_numpy())


@pytest.mark.parametrize("second_pass", ["as_needed", "every_series"])
def test_streamed_quantiles_within_stated_bound(inputs, monkeypatch, second_pass: str) -> None:
    """Streamed against exact quantiles: within (max - min) / bins of each series, read in one
    pass over the first chunk's range (with a second pass for the series outside it), or with
    every series recounted over its full range in the second pass."""
    bins = 256
    outside = mc.OnePassHistogram.outside
    counted: list[int] = []

    def spy(self, qs):
        out = outside(self, qs) if second_pass == "as_needed" else np.ones(self.lo.size, bool)
        counted.append(int(out.sum()))
        return out

    monkeypatch.setattr(mc.OnePassHistogram, "outside", spy)
    exact = mc.forecast_quantiles(inputs, draws=600, seed=9, sampler="random", chunk=128)
    streamed = mc.forecast_quantiles(inputs, draws=600, seed=9, sampler="random", chunk=128,
                                     exact_bytes=0, bins=bins)
    j = exact.join(streamed, on=KEY, nulls_equal=True, suffix="_s")
    assert j.height == exact.height
    # the bound: (max - min) / bins of each series, from the exact run's draws
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "random", seed=9)
    vals, meta = mc.draw_values(st, demand.simulate(st, plan.paramset(plan.draw_matrix(600))))
    bound = pl.DataFrame({
        "month": meta.month, "firm": meta.firm.astype(str), "workload": meta.workload.astype(str),
        "sku": meta.sku.astype(str), "vendor": meta.vendor.astype(str),
        "metric": meta.metric.astype(str), "bound": (vals.max(axis=0) - vals.min(axis=0)) / bins,
    }).with_columns(pl.col("month").cast(pl.Date))
    j = j.join(bound, on=SERIES)
    assert j.height == exact.height
    # the exact run keeps float32 draws: its own rounding (F32) adds to the stated bound
    err = (j["value"] - j["value_s"]).abs() - j["bound"] - F32 * j["value"].abs()
    assert err.max() <= 0
    means = j.filter(pl.col("stat") == "mean")
    np.testing.assert_allclose(means["value_s"], means["value"], rtol=F32)
    assert (j["value"] - j["value_s"]).abs().max() > 0  # the streamed path really ran
    # the headlines are kept draw by draw: their quantiles are the exact run's
    heads = j.filter(pl.col("metric").is_in(list(HEADLINES)), pl.col("stat") == "quantile")
    assert heads.height == len(HEADLINES) * len(QUANTILES)
    np.testing.assert_array_equal(heads["value_s"], heads["value"])
    n = j.select(SERIES).n_unique()
    if second_pass == "every_series":
        assert counted[0] == n
    else:  # most series are read in one pass
        print(f"series needing the second pass: {counted[0]} of {n}")
        assert counted[0] < n / 2


def test_sobol_4096_converges_to_200k_reference(inputs, structure) -> None:
    """Tolerance: P10/P50/P90 and mean of each headline within 1 % of a 200k-draw random run."""
    params = parameters(inputs)

    def headline_draws(sampler: str, n: int) -> dict[str, np.ndarray]:
        plan = draw_plan(inputs, params, sampler, seed=123)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in HEADLINES}
        for ps in plan.chunks(n, 16384):
            for k, v in series.headlines(structure, demand.simulate(structure, ps)).items():
                parts[k].append(v)
        return {k: np.concatenate(v) for k, v in parts.items()}

    fast, ref = headline_draws("sobol", 4096), headline_draws("random", 200_000)
    for k in HEADLINES:
        for q in (0.1, 0.5, 0.9):
            assert np.quantile(fast[k], q, method="hazen") == pytest.approx(
                np.quantile(ref[k], q, method="hazen"), rel=0.01)
        assert fast[k].mean() == pytest.approx(ref[k].mean(), rel=0.01)


def test_headlines_match_the_deterministic_long_table(inputs, structure) -> None:
    sim = demand.simulate(structure, point_params(parameters(inputs)))
    h = {k: float(v[0]) for k, v in series.headlines(structure, sim).items()}
    long = outputs.to_long(structure, sim)
    fam = {"A100-80GB-SXM", "A800-80GB-SXM"}
    shipped = by_sku(long, "units_shipped").filter(
        pl.col("sku").is_in(fam), pl.col("month") >= date(2023, 1, 1))["value"].sum()
    assert h["a100_a800_units_shipped_2023_2025"] == pytest.approx(shipped)
    assert h["a100_a800_units_shipped_2023_2025"] > 0
    peak = monthly(total(long, "a100_equivalents"))["value"].max()
    assert h["peak_installed_a100e"] == pytest.approx(peak)
    peak_units = monthly(total(long, "units_installed"))["value"].max()
    assert h["peak_installed_units"] == pytest.approx(peak_units)
    # A100-e shipped 2023: stock-flow shipments of both firms summed over 2023
    assert h["a100e_shipped_2023_2030"] == pytest.approx(sim.shipped[0, :, 12:].sum())
    assert series.headline_month(structure, "a100e_shipped_2023_2030") == date(2023, 12, 1)


def test_all_fixed_inputs_give_the_point_forecast(tmp_path: Path) -> None:
    usage = copy_data(tmp_path / "a") / "usage.csv"
    text = usage.read_text().replace("triangular,1.2,,1.6", ",,,").replace(
        "uniform,0.25,,0.75", ",,,")
    mclass = (tmp_path / "a" / "model_classes.csv").read_text().replace("uniform,0.3,,0.6", ",,,")
    folder = copy_data(tmp_path / "b", {"usage.csv": text, "model_classes.csv": mclass})
    inputs = load_inputs(folder, "base")
    out = mc.forecast_quantiles(inputs, draws=64)
    wide = out.pivot(on="stat", index=SERIES, values="value", aggregate_function="min")
    np.testing.assert_allclose(wide["mean"], wide["quantile"])


def test_progress_reports_every_chunk_of_every_pass(inputs, monkeypatch) -> None:
    seen: list[tuple[int, int]] = []
    mc.forecast_quantiles(inputs, draws=256, chunk=64, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 4) for i in range(1, 5)]  # exact mode: one pass of 4 chunks
    seen.clear()
    monkeypatch.setattr(mc.OnePassHistogram, "outside",
                        lambda self, qs: np.zeros(self.lo.size, dtype=bool))
    mc.forecast_quantiles(inputs, draws=256, chunk=64, exact_bytes=0,
                          progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, 4) for i in range(1, 5)]  # streamed, every series read in one pass
    seen.clear()
    monkeypatch.setattr(mc.OnePassHistogram, "outside",
                        lambda self, qs: np.arange(self.lo.size) < 3)
    mc.forecast_quantiles(inputs, draws=256, chunk=64, exact_bytes=0,
                          progress=lambda d, t: seen.append((d, t)))
    # three series recounted: the total grows by a second pass once the first is done
    assert seen == [(i, 4) for i in range(1, 5)] + [(i, 8) for i in range(5, 9)]


def test_compiled_pert_quantile_keeps_base_quantiles(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped base scenario's Monte Carlo quantiles with the compiled PERT quantile
    equal those with scipy's beta quantile to 1e-9 relative (the inputs differ by ~1e-15 of
    their range). Except idle compute: installed - need, where the two are equal in exact
    arithmetic, is rounding noise of installed's size (float32 series), so there the bound is
    1e-7 of the metric's largest value."""
    base = load_inputs(Path(__file__).resolve().parents[2] / "data", "base")
    fast = mc.forecast_quantiles(base, draws=256, seed=4)

    def scipy_plan(*args: object, **kwargs: object):
        plan = draw_plan(*args, **kwargs)  # type: ignore[arg-type]
        plan.fast_ppf = False
        return plan

    monkeypatch.setattr(mc, "draw_plan", scipy_plan)
    slow = mc.forecast_quantiles(base, draws=256, seed=4)
    assert fast.height == slow.height > 0
    joined = fast.join(slow, on=["scenario", *KEY], how="inner", nulls_equal=True)
    assert joined.height == fast.height
    idle = joined["metric"].to_numpy() == "a100_equivalents_idle"
    got, want = joined["value"].to_numpy(), joined["value_right"].to_numpy()
    np.testing.assert_allclose(got[~idle], want[~idle], rtol=1e-9, atol=0)
    assert idle.any()
    assert np.abs(got[idle] - want[idle]).max() <= 1e-7 * np.abs(want[idle]).max()
