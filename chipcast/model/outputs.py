"""The deterministic forecast: every input at its point value, as the long forecast table (the
series of chipcast.model.series at that one draw) and its headline rows."""

from __future__ import annotations

import polars as pl

from chipcast.inputs import Inputs
from chipcast.model.demand import simulate
from chipcast.model.params import parameters, point_params
from chipcast.model.series import headline_table, to_long
from chipcast.model.structure import compile_structure


def deterministic(inputs: Inputs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deterministic forecast (every input at its `value`): the long output table and its
    headline rows, from one model evaluation."""
    st = compile_structure(inputs)
    sim = simulate(st, point_params(parameters(inputs)))
    return to_long(st, sim), headline_table(st, sim)


def forecast(inputs: Inputs) -> pl.DataFrame:
    """The deterministic forecast (every input at its `value`) as the long output table."""
    return deterministic(inputs)[0]
