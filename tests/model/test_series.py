"""The compiled series extraction (chipcast.model.series) against numpy's own expressions of
the same numbers (the passes it replaced), to the bit: every buyer-grain block of
write_series, in a float64 and in a float32 buffer, and the headline sums on the layouts and
dtypes they are called with (fresh arrays, views of a wider buffer, one draw, NaN)."""

from __future__ import annotations

from pathlib import Path

import fleet_reference
import numpy as np
import pytest

from chipcast.contracts import A100_FAMILIES, FLEET_METRICS, HEADLINES
from chipcast.inputs import load_inputs
from chipcast.model import series
from chipcast.model.demand import Simulation, simulate
from chipcast.model.params import parameters
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty.sampling import draw_plan

DATA = Path(__file__).resolve().parents[2] / "data"


def _case(scenario: str, n: int) -> tuple[Structure, Simulation]:
    inputs = load_inputs(DATA, scenario)
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=11)
    return st, simulate(st, plan.paramset(plan.draw_matrix(n)))


def _block(values: np.ndarray, meta: series.SeriesMeta, metric: str, shape: tuple[int, ...],
           **labels: str) -> np.ndarray:
    """The columns of one metric whose labels equal `labels` (the others not `all` unless
    named), reshaped (D, *shape)."""
    cols = meta.metric == metric
    for name in ("firm", "workload", "sku", "vendor"):
        want = labels.get(name)
        col = getattr(meta, name)
        cols &= (col == want) if want is not None and want != "*" else \
            ((col != "all") if want == "*" else (col == "all"))
    return values[:, cols].reshape(values.shape[0], *shape)


@pytest.mark.parametrize("scenario", ["base", "seed-2023", "base-roofline"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_buyer_blocks_are_the_numpy_passes_to_the_bit(scenario: str, dtype: type) -> None:
    st, sim = _case(scenario, 24)
    n = series.n_series(st)
    buf = np.full((24, n + 3), np.nan, dtype=dtype)  # wider than needed, as the Monte Carlo's
    values, meta = series.series_values(st, sim, True, buf)
    assert meta is not None and values.dtype == dtype
    n_b, n_f, n_m = len(st.buyers), len(st.firms), st.months.size
    # need: per buyer and workload, by workload (sequential float64 sums over buyers), total
    req = _block(values, meta, "a100_equivalents_required", (n_b, 2, n_m), firm="*",
                 workload="*")
    assert np.array_equal(req[:, :, 0], sim.training.astype(dtype))
    assert np.array_equal(req[:, :, 1], sim.inference.astype(dtype))
    train, infer = sim.training.sum(axis=1), sim.inference.sum(axis=1)
    by_work = _block(values, meta, "a100_equivalents_required", (2, n_m), workload="*")
    assert np.array_equal(by_work, np.stack([train, infer], axis=1).astype(dtype))
    assert np.array_equal(_block(values, meta, "a100_equivalents_required", (n_m,)),
                          (train + infer).astype(dtype))
    # fleets by buyer: fleet_by_buyer's numpy path (with the pre-grid cards still installed
    # from the SKU pass, as write_series did), then sums over buyers of the values as stored
    before = np.empty((24, n_m))
    series.fleet_by_sku(st, sim, before_units=before)
    if st.installed_base.owner < 0:
        before[:] = 0.0
    ref = fleet_reference.fleet_by_buyer(st, sim, before_units=before)
    for metric in FLEET_METRICS:
        got = _block(values, meta, metric, (n_b, n_m), firm="*")
        assert np.array_equal(got, ref[metric].astype(dtype), equal_nan=True), metric
        total = _block(values, meta, metric, (n_m,))
        want = got.sum(axis=1, dtype=float).astype(dtype)
        assert np.array_equal(total, want, equal_nan=True), metric
    # idle compute and tokens
    idle = np.maximum((sim.installed - sim.need).astype(dtype), 0.0)
    got = _block(values, meta, "a100_equivalents_idle", (n_b, n_m), firm="*")
    assert np.array_equal(got, idle, equal_nan=True)
    assert np.array_equal(_block(values, meta, "a100_equivalents_idle", (n_m,)),
                          got.sum(axis=1, dtype=float).astype(dtype), equal_nan=True)
    tok = _block(values, meta, "tokens_per_day", (n_f, n_m), firm="*", workload="inference")
    assert np.array_equal(tok, sim.tokens.astype(dtype))
    assert np.array_equal(_block(values, meta, "tokens_per_day", (n_m,), workload="inference"),
                          sim.tokens.sum(axis=1).astype(dtype))
    assert np.isnan(buf[:, n:]).all(), "wrote past the series"


def _numpy_headlines(st: Structure, sku: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The headline expressions as numpy evaluated them before they were compiled."""
    family = np.array([f in A100_FAMILIES for f in st.supply.sku_family], dtype=bool)
    out = {}
    for name, h in HEADLINES.items():
        w = series._span(series.window(st, h))
        if name == "a100_a800_units_shipped_2023_2025":
            out[name] = sku["units_shipped"][:, family][:, :, w].sum(axis=(1, 2), dtype=float)
        elif name.startswith("peak_"):
            metric = "a100_equivalents" if name.endswith("a100e") else "units_installed"
            out[name] = sku[metric][:, :, w].sum(axis=1, dtype=float).max(axis=1)
        else:
            metric = "a100_equivalents_shipped" if "a100e" in name else "capex_usd"
            out[name] = sku[metric][:, :, w].sum(axis=(1, 2), dtype=float)
    return out


@pytest.mark.parametrize("n_draws", [1, 37])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["fresh", "buffer view"])
def test_headlines_are_numpys_sums_to_the_bit(n_draws: int, dtype: type, layout: str) -> None:
    """Values spread over 60 orders of magnitude, so any other summation order shows."""
    st, _ = _case("base", 1)
    rng = np.random.default_rng(n_draws)
    n_s, n_m = len(st.skus), st.months.size
    sku = {}
    for metric in FLEET_METRICS:
        a = np.exp(rng.random((n_draws, n_s, n_m)) * 60.0)
        if layout == "fresh":
            sku[metric] = a.astype(dtype)
        else:
            wide = np.zeros((n_draws, n_s * n_m + 17), dtype=dtype)
            view = wide[:, 5:5 + n_s * n_m].reshape(n_draws, n_s, n_m)
            view[...] = a
            sku[metric] = view
    sku["a100_equivalents"][0, 2, 40] = np.nan  # a NaN month: the peak is NaN, as numpy's max
    got = {name: series.HEADLINE_FUNCTIONS[name](st, sku, series.window(st, h))
           for name, h in HEADLINES.items()}
    want = _numpy_headlines(st, sku)
    for name in HEADLINES:
        assert np.array_equal(got[name], want[name], equal_nan=True), name
    assert np.isnan(got["peak_installed_a100e"][0])


def test_headlines_on_a_sku_major_layout_are_numpys_too() -> None:
    """A SKU-major array (not draw-major, as a boolean-indexed copy is): numpy's numbers."""
    st, _ = _case("base", 1)
    rng = np.random.default_rng(3)
    n_s, n_m = len(st.skus), st.months.size
    sku = {m: np.exp(rng.random((n_s, 9, n_m)) * 60.0).transpose(1, 0, 2)
           for m in FLEET_METRICS}
    want = _numpy_headlines(st, sku)
    for name, h in HEADLINES.items():
        got = series.HEADLINE_FUNCTIONS[name](st, sku, series.window(st, h))
        assert np.array_equal(got, want[name]), name


@pytest.mark.parametrize("scenario", ["base", "seed-2023"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_peaks_from_the_sku_pass_are_numpys_on_the_written_values(scenario: str,
                                                                  dtype: type) -> None:
    """write_series hands the headlines the installed metrics summed over SKUs from its own
    pass: those sums and the headlines from them equal numpy's over the values as written
    (float32 rounding included), to the bit; a NaN installed month makes the peak NaN."""
    st, sim = _case(scenario, 21)
    shipped = sim.shipped.copy()
    shipped[4, 0, 30] = np.nan  # draw 4: one buyer-month's shipments unknown
    sim = Simulation(**{**sim.__dict__, "shipped": shipped})
    buf = np.full((21, series.n_series(st)), np.nan, dtype=dtype)
    _, _, fleets = series.write_series(st, sim, False, buf)
    assert set(fleets.installed_sums) == {"a100_equivalents", "units_installed"}
    for metric, sums in fleets.installed_sums.items():
        assert np.array_equal(sums, fleets[metric].sum(axis=1, dtype=float), equal_nan=True)
    got = series.headlines(st, sim, fleets)
    want = _numpy_headlines(st, dict(fleets))  # plain arrays: the numpy expressions
    for name in HEADLINES:
        assert np.array_equal(got[name], want[name], equal_nan=True), name
    assert np.isnan(got["peak_installed_a100e"][4]) and np.isnan(got["peak_installed_units"][4])
    assert not np.isnan(got["peak_installed_a100e"][[0, 1, 2, 3, 5]]).any()
