"""Monte Carlo and sensitivity on a 2-worker Dask LocalCluster (prefect-dask) equal a serial
run with the same seed: identical in exact mode, identical to the serial streamed pass (and so
within its stated error) in streamed mode; the pipeline on Dask publishes the same numbers."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest
from prefect import flow

from chipcast.inputs import load_inputs
from chipcast.project import SHIPPED_DATA
from chipcast.uncertainty.montecarlo import forecast_quantiles
from flows.pipeline import dask_runner
from flows.simulate import distributed_quantiles

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

SCENARIO = "base"
KW = dict(draws=512, seed=7, sampler="sobol", chunk=64)


@flow(task_runner=dask_runner("local"))
def on_dask(data_dir: str, scenario: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    inputs = load_inputs(SHIPPED_DATA if data_dir == "shipped" else data_dir, scenario)
    exact = distributed_quantiles(inputs, parts=4, **KW)  # one study split over the workers
    streamed = distributed_quantiles(inputs, parts=4, exact_bytes=0, **KW)
    return exact, streamed


def test_quantiles_on_a_2_worker_cluster_equal_a_serial_run() -> None:
    exact, streamed = on_dask("shipped", SCENARIO)
    inputs = load_inputs(SHIPPED_DATA, SCENARIO)
    assert exact.equals(forecast_quantiles(inputs, **KW))
    assert streamed.equals(forecast_quantiles(inputs, exact_bytes=0, **KW))
    assert exact.height > 1000  # a real study: every series of the scenario


def _rows(out, table: str, order: str) -> list[tuple]:
    with duckdb.connect(str(out / "chipcast.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT * EXCLUDE (run_id) FROM {table} "  # noqa: S608 - test SQL
                           f"ORDER BY {order}").fetchall()


def test_the_pipeline_on_dask_publishes_what_a_serial_run_publishes(tmp_path) -> None:
    from flows.pipeline import pipeline

    args = dict(scenarios=["seed-2023-ranges", "base"], data_dir=str(SHIPPED_DATA), draws=256,
                sensitivity_n=32, seed=3)
    on = pipeline(out_dir=str(tmp_path / "dask"), dask="local", **args)
    off = pipeline(out_dir=str(tmp_path / "serial"), cache=False, **args)
    assert on.rows == off.rows
    order = "scenario, month, firm, workload, sku, metric, stat, quantile"
    dask_rows = _rows(tmp_path / "dask", "forecast_quantiles", order)
    assert len(dask_rows) > 1000
    assert dask_rows == _rows(tmp_path / "serial", "forecast_quantiles", order)
    sens = "scenario, headline, input, method"
    assert _rows(tmp_path / "dask", "sensitivity", sens) == _rows(tmp_path / "serial",
                                                                  "sensitivity", sens)
    assert not (tmp_path / "serial" / ".cache").exists()  # cache=False computes in place
