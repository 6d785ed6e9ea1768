"""The default sensitivity ('given') pays no model runs beyond the tornado's 1 + 2d: its indices
read the Monte Carlo's own draws; 'full' adds Saltelli-Sobol's n x (d + 2)."""

from __future__ import annotations

import pytest
from fixture_data import copy_data

from chipcast.inputs import load_inputs
from chipcast.model.params import parameters
from chipcast.uncertainty import sensitivity
from chipcast.uncertainty.montecarlo import run_monte_carlo
from chipcast.uncertainty.sampling import uncertain_ids


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    """The draws of every model run sensitivity makes (the real model still runs)."""
    draws: list[int] = []
    real = sensitivity.simulate

    def wrapper(st, ps):
        draws.append(ps.n_draws)
        return real(st, ps)

    monkeypatch.setattr(sensitivity, "simulate", wrapper)
    return draws


def test_given_data_sensitivity_runs_only_the_tornado(tmp_path, counted) -> None:
    from flows.forecast import sensitivity_frame

    inputs = load_inputs(copy_data(tmp_path), "base")
    d = len(uncertain_ids(parameters(inputs)))
    mc = run_monte_carlo(inputs, 128, seed=3)
    assert mc.inputs.shape == (128, d)  # every draw made is given to the indices
    rows = sensitivity_frame(inputs, mc, "given", 32, 3)
    assert sum(counted) == 1 + 2 * d
    assert set(rows["method"]) == {"tornado", "given_data"}
    counted.clear()
    rows = sensitivity_frame(inputs, mc, "full", 32, 3)
    assert sum(counted) == 1 + 2 * d + 32 * (d + 2)
    assert set(rows["method"]) == {"tornado", "given_data", "sobol"}
