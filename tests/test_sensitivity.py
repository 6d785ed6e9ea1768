"""Sensitivity: sobol_indices wiring on Ishigami, tornado on the tiny inputs, the CLI."""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from scipy import stats
from tinydata import write_tiny_data

from chipcast import demand, sensitivity
from chipcast.inputs import load_inputs
from chipcast.montecarlo import HEADLINES, headlines
from chipcast.params import parameters, point_params

# Ishigami a = 7, b = 0.1 on U(-pi, pi)^3: analytic indices (Saltelli et al. 2008)
ISHIGAMI_S1 = (0.314, 0.442, 0.0)
ISHIGAMI_ST = (0.558, 0.442, 0.244)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    return load_inputs(write_tiny_data(tmp_path_factory.mktemp("tiny")), "base")


def test_sobol_wiring_recovers_ishigami_indices() -> None:
    def ishigami(x: np.ndarray) -> np.ndarray:
        y = np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])
        return np.stack([y, 2 * y + 5])  # a second output: indices are scale-invariant

    dists = [stats.uniform(loc=-np.pi, scale=2 * np.pi)] * 3
    out = sensitivity.sobol_table(ishigami, dists, ["x1", "x2", "x3"], ["y", "y2"], n=2**13,
                                  seed=4)
    for name in ("y", "y2"):
        rows = out.filter(pl.col("output") == name)
        np.testing.assert_allclose(rows["s1"], ISHIGAMI_S1, atol=0.02)
        np.testing.assert_allclose(rows["st"], ISHIGAMI_ST, atol=0.02)
        assert rows["s1_conf"].null_count() == 3  # no O(n^2) bootstrap at this n
    # at n = 1024 the bootstrap half-widths are given and cover the analytic values
    small = sensitivity.sobol_table(ishigami, dists, ["x1", "x2", "x3"], ["y", "y2"], n=1024,
                                    seed=4).filter(pl.col("output") == "y")
    assert (small["s1_conf"] > 0).all() and (small["s1_conf"] < 0.1).all()
    for col, truth in (("s1", ISHIGAMI_S1), ("st", ISHIGAMI_ST)):
        err = np.abs(small[col].to_numpy() - np.array(truth))
        assert (err <= small[f"{col}_conf"].to_numpy() + 0.02).all()
    with pytest.raises(ValueError, match="power of 2"):
        sensitivity.sobol_table(ishigami, dists, ["a", "b", "c"], ["y", "y2"], n=1000)


def test_tornado_rows_are_model_runs_at_p10_and_p90(inputs) -> None:
    tor = sensitivity.tornado(inputs)
    params = parameters(inputs)
    uncertain = sorted(k for k, p in params.items() if p.law is not None)
    assert tor.height == len(uncertain) * len(HEADLINES)
    assert tor.columns == sensitivity.COLUMNS
    st = demand.compile_structure(inputs)
    medians = {k: float(params[k].law.median()) for k in uncertain}
    base = point_params(params).with_values(medians)
    row = tor.filter(pl.col("headline") == "a100e_shipped_2023_2030",
                     pl.col("input") == "usage:*:serving_utilization").row(0, named=True)
    p10 = params["usage:*:serving_utilization"].law.ppf(0.1)
    assert row["input_low"] == pytest.approx(p10)
    at_p10 = headlines(st, demand.simulate(
        st, base.with_values({"usage:*:serving_utilization": p10})))
    assert row["low"] == pytest.approx(float(at_p10["a100e_shipped_2023_2030"][0]))
    assert row["swing"] == pytest.approx(abs(row["high"] - row["low"]))
    assert row["low"] > row["high"]  # more utilisation, fewer chips
    for name in HEADLINES:
        swings = tor.filter(pl.col("headline") == name)["swing"].to_list()
        assert swings == sorted(swings, reverse=True)


def test_sobol_on_the_model_ranks_inputs(inputs) -> None:
    sob = sensitivity.sobol(inputs, n=256, seed=1)
    assert sob.columns == sensitivity.COLUMNS
    tor = sensitivity.tornado(inputs)
    for name in HEADLINES:
        got = sob.filter(pl.col("headline") == name)
        # the input with the widest tornado swing also has the largest total index
        top = tor.filter(pl.col("headline") == name)["input"][0]
        assert got["input"][0] == top
        assert got["st"][0] > 0.3
        assert ((got["st"] >= -0.05) & (got["st"] <= 1.2)).all()
    # the tiny peak is a training cluster (1,484 A100-e vs 742 serving): MFU drives it
    peak = sob.filter(pl.col("headline") == "peak_installed_a100e")
    assert peak["input"][0] == "model_classes:*:mfu"


def test_cli_computes_without_a_warehouse_and_reads_a_published_one(
    inputs, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = write_tiny_data(tmp_path / "data")
    monkeypatch.setattr(sensitivity, "SOBOL_N", 64)
    args = argparse.Namespace(scenario="base", out_dir=str(tmp_path / "out"), data_dir=str(data),
                              sobol_n=64)
    assert sensitivity.cmd_sensitivity(args) == 0
    out = capsys.readouterr()
    assert "computed from" in out.err
    assert "a100e_shipped_2023_2030" in out.out and "usage:*:serving_utilization" in out.out

    # a published file whose latest run holds sensitivity rows is shown instead
    from chipcast import warehouse

    (tmp_path / "out").mkdir()
    con = duckdb.connect(str(tmp_path / "out" / warehouse.DB_NAME))
    warehouse.create_schema(con)
    warehouse.create_marts(con)
    con.execute("INSERT INTO runs (run_id, scenarios, status, started_at, config, seed, draws, "
                "sampler, code_version) VALUES ('r1', ['base'], 'published', now(), '{}', 1, 0, "
                "'sobol', 'test')")
    rows = sensitivity.tornado(inputs).head(3).with_columns(pl.lit("r1").alias("run_id"))
    warehouse.append_frame(con, "sensitivity", rows)
    con.close()
    assert sensitivity.cmd_sensitivity(args) == 0
    out = capsys.readouterr().out
    assert "from the published warehouse" in out and "run r1" in out
