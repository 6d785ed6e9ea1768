"""A Monte Carlo split into ranges of draws (for Dask workers) equals one pass: every sampler
produces any range's draws exactly, and merged partial results give the same quantiles."""

from __future__ import annotations

import numpy as np
import pytest
from tinydata import write_tiny_data

from chipcast.inputs import load_inputs
from chipcast.model.params import parameters
from chipcast.uncertainty import montecarlo as mc
from chipcast.uncertainty.sampling import draw_plan

CORR = """group,table,metric,rho,source
efficiency,model_classes,mfu,0.7,test
efficiency,usage,serving_utilization,0.7,test
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    folder = write_tiny_data(tmp_path_factory.mktemp("tiny"), {"correlations.csv": CORR})
    return load_inputs(folder, "base")


@pytest.mark.parametrize("sampler", ["sobol", "lhs", "random"])
def test_a_range_of_draws_is_those_rows_of_the_whole_run(inputs, sampler: str) -> None:
    plan = draw_plan(inputs, parameters(inputs), sampler=sampler, seed=11)
    chunk, n = 16, 100  # the last chunk is short: 100 = 6 x 16 + 4
    whole = np.concatenate(list(plan.matrices(n, chunk)))
    for start, stop in [(0, 32), (32, 64), (48, 100), (96, 100)]:
        part = np.concatenate(list(plan.matrices(stop, chunk, start)))
        assert np.array_equal(part, whole[start:stop]), (sampler, start, stop)
    with pytest.raises(ValueError, match="multiple of the chunk"):
        next(plan.uniforms(n, chunk, start=5))


@pytest.mark.parametrize("sampler", ["sobol", "lhs", "random"])
def test_merged_ranges_give_identical_exact_quantiles(inputs, sampler: str) -> None:
    serial = mc.forecast_quantiles(inputs, draws=200, seed=3, sampler=sampler, chunk=16)
    study = mc.study(inputs, draws=200, seed=3, sampler=sampler, chunk=16)
    ranges = study.ranges(3)
    assert ranges[0][0] == 0 and ranges[-1][1] == 200
    assert all(a % 16 == 0 and a < b for a, b in ranges)
    assert all(b1 == a2 for (_, b1), (a2, _) in zip(ranges, ranges[1:], strict=False))
    merged = study.from_values([study.values(a, b) for a, b in ranges])
    assert merged.equals(serial)


def test_merged_ranges_in_streamed_mode_match_one_pass_and_the_bound(inputs) -> None:
    kw = dict(draws=256, seed=5, sampler="sobol", chunk=32, exact_bytes=0, bins=256)
    serial = mc.forecast_quantiles(inputs, **kw)
    study = mc.study(inputs, **kw)
    assert not study.exact
    ranges = study.ranges(4)
    bounds = [study.bounds(a, b) for a, b in ranges]
    merged = study.from_histogram(bounds, [study.counts(a, b, bounds) for a, b in ranges])
    assert merged.equals(serial)  # same draws, same bins, sums added in the same order
    # and within the stated error of the exact quantiles: (max - min) / bins per series
    exact = mc.forecast_quantiles(inputs, draws=256, seed=5, sampler="sobol", chunk=32)
    allv = study.values(0, 256)
    width = (allv.max(axis=0) - allv.min(axis=0)) / 256
    q = merged["value"].to_numpy().reshape(-1, 1 + len(study.quantiles))
    e = exact["value"].to_numpy().reshape(-1, 1 + len(study.quantiles))
    assert np.allclose(q[:, 0], e[:, 0], rtol=1e-12, atol=0)  # means are exact
    assert np.all(np.abs(q[:, 1:] - e[:, 1:]) <= width[:, None] * (1 + 1e-9) + 1e-9)
