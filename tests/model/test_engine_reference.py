"""The model engine against its slow reference: the numpy engine as it was before the speed
work (tests/fixtures/engine_v0, a frozen copy), on the shipped scenarios, for the point draw
and a batch of Monte Carlo draws. Every series value and headline the Monte Carlo summarises
(montecarlo.draw_values) and every Simulation field must agree to float64 rounding."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

import engine_v0
import numpy as np
import pytest
from engine_v0 import demand as demand_v0

from chipcast.inputs import load_inputs
from chipcast.model.demand import simulate
from chipcast.model.params import ParamSet, parameters, point_params
from chipcast.model.structure import Structure, compile_structure
from chipcast.uncertainty.montecarlo import draw_values
from chipcast.uncertainty.sampling import draw_plan

DATA = Path(__file__).resolve().parents[2] / "data"
SCENARIOS = ["base", "bull", "bear", "seed-2023", "base-roofline", "export-controls-actual",
             "no-export-controls"]
RTOL = 1e-9  # reassociated sums and compiled pow differ from the reference in the last bits


def _close(new: np.ndarray, ref: np.ndarray, what: str, metric: np.ndarray | None = None
           ) -> None:
    """Equal to RTOL of each value, or of the largest magnitude of its metric (all columns of
    a field, or of draw_values' columns with the same metric): a difference of two large
    stocks, e.g. idle compute, carries the rounding of the stocks, not of itself."""
    assert new.shape == ref.shape, what
    assert np.array_equal(np.isnan(new), np.isnan(ref)), what
    ref2 = np.nan_to_num(ref).reshape(ref.shape[0], -1)
    new2 = np.nan_to_num(new).reshape(new.shape[0], -1)
    groups = np.zeros(ref2.shape[1], dtype=object) if metric is None else metric
    scale = np.zeros(ref2.shape[1])
    for g in set(groups):
        cols = groups == g
        scale[cols] = np.abs(ref2[:, cols]).max()
    bad = np.abs(new2 - ref2) > RTOL * np.maximum(np.abs(ref2), scale[None, :])
    assert not bad.any(), f"{what}: {bad.sum()} values differ, first at {np.argwhere(bad)[0]}"


def _cases(scenario: str) -> tuple[Structure, list[ParamSet]]:
    inputs = load_inputs(DATA, scenario)
    st = compile_structure(inputs)
    params = parameters(inputs)
    plan = draw_plan(inputs, params, "sobol", seed=7)
    return st, [point_params(params), plan.paramset(plan.draw_matrix(48))]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_engine_equals_the_slow_reference(scenario: str) -> None:
    st, sets = _cases(scenario)
    for ps in sets:
        new, ref = simulate(st, ps), demand_v0.simulate(st, ps)
        for f in fields(ref):
            _close(np.asarray(getattr(new, f.name), float), getattr(ref, f.name),
                   f"{scenario} {ps.n_draws} draws: Simulation.{f.name}")
        values, meta = draw_values(st, new)
        _close(values, engine_v0.draw_values(st, ref), f"{scenario} {ps.n_draws} draws: "
               "draw_values", meta.metric)


@pytest.mark.parametrize("scenario", ["base", "seed-2023"])
def test_float32_buffer_holds_the_float64_values_rounded(scenario: str) -> None:
    """The Monte Carlo's float32 buffer: each value within a few float32 roundings (2^-24
    relative each) of the float64 computation, relative to its metric's magnitude."""
    st, sets = _cases(scenario)
    sim = simulate(st, sets[1])
    wide, meta = draw_values(st, sim)
    narrow = np.empty(wide.shape, dtype=np.float32)
    draw_values(st, sim, False, narrow)
    for g in set(meta.metric):
        cols = meta.metric == g
        scale = np.abs(np.nan_to_num(wide[:, cols])).max()
        err = np.abs(narrow[:, cols].astype(float) - wide[:, cols])
        assert np.nanmax(err, initial=0.0) <= 4 * 2.0**-24 * scale, g


def test_concurrent_calls_from_threads_give_the_serial_numbers() -> None:
    """Flows run Monte Carlo tasks in threads: the compiled kernels (numba's thread pool) called
    from two threads at once give exactly the serial numbers."""
    st, sets = _cases("base")
    ps = sets[1]
    serial = draw_values(st, simulate(st, ps), False)[0]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: draw_values(st, simulate(st, ps), False)[0], range(4)))
    for values in runs:
        np.testing.assert_array_equal(values, serial)
