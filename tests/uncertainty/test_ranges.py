"""Every sampler produces any range of draws exactly: draws [start, stop) are the rows
start..stop-1 of a run from 0 (what a Monte Carlo split over workers needs)."""

from __future__ import annotations

import numpy as np
import pytest
from fixture_data import copy_data

from chipcast.inputs import load_inputs
from chipcast.model.params import parameters
from chipcast.uncertainty.sampling import draw_plan

CORR = """group,table,metric,rho,source
efficiency,model_classes,mfu,0.7,test
efficiency,usage,serving_utilization,0.7,test
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    folder = copy_data(tmp_path_factory.mktemp("tiny"), {"correlations.csv": CORR})
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
