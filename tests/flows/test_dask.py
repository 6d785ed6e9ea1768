"""Monte Carlo (with calibration) and sensitivity on a 2-worker Dask LocalCluster
(prefect-dask) equal a serial run with the same seed: the pipeline on Dask publishes the same
numbers."""

from __future__ import annotations

import duckdb
import pytest

from chipcast.project import SHIPPED_DATA

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

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
    order = "scenario, calibration, month, firm, workload, sku, vendor, metric, stat, quantile"
    dask_rows = _rows(tmp_path / "dask", "forecast_quantiles", order)
    assert len(dask_rows) > 1000
    assert dask_rows == _rows(tmp_path / "serial", "forecast_quantiles", order)
    sens = "scenario, headline, input, method"
    assert _rows(tmp_path / "dask", "sensitivity", sens) == _rows(tmp_path / "serial",
                                                                  "sensitivity", sens)
    back = "scenario, calibration, id"  # base calibrates: the kept draws agree too
    assert _rows(tmp_path / "dask", "backtest", back) == _rows(tmp_path / "serial", "backtest",
                                                               back)
    assert not (tmp_path / "serial" / ".cache").exists()  # cache=False computes in place
