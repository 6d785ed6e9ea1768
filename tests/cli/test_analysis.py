"""`chipcast goalseek` and `chipcast sensitivity` through the CLI entry point (tiny inputs)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixture_data import copy_data

from chipcast.cli import main
from chipcast.inputs import load_inputs
from chipcast.model.demand import simulate
from chipcast.model.params import parameters, point_params
from chipcast.model.series import headlines
from chipcast.model.structure import compile_structure
from chipcast.store import warehouse
from chipcast.uncertainty import sensitivity

MULT = "model_classes:*:compute_multiplier"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data(tmp_path_factory.mktemp("tiny"))


def test_goalseek_prints_the_inputs_reaching_the_target(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = load_inputs(data, "base")
    st = compile_structure(inputs)
    now = float(headlines(st, simulate(st, point_params(parameters(inputs))))[
        "peak_installed_units"][0])
    argv = ["goalseek", "--target", str(2 * now), "--metric", "peak_installed_units",
            "--scenario", "base", "--data-dir", str(data)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "peak_installed_units" in out and MULT in out
    assert "x2" in out  # doubling the multiplier doubles every need
    # numbers are right-aligned and grouped: the current peak appears as the table prints it
    assert f"{now:,.0f}" in out


def test_goalseek_lists_the_headlines_as_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["goalseek", "--target", "1", "--metric", "chips"]) == 2
    err = capsys.readouterr().err
    assert "peak_installed_units" in err and "total_capex_usd" in err


def test_sensitivity_computes_without_a_warehouse_and_reads_a_published_one(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["sensitivity", "--scenario", "base", "--out-dir", str(tmp_path / "out"),
            "--data-dir", str(data), "--sobol-n", "64"]
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "computed from" in out.err
    assert "a100e_shipped_2023_2030" in out.out and "usage:*:serving_utilization" in out.out

    # a published file whose latest run holds sensitivity rows is shown instead
    (tmp_path / "out").mkdir()
    con = duckdb.connect(str(tmp_path / "out" / warehouse.DB_NAME))
    warehouse.create_schema(con)
    warehouse.create_marts(con)
    con.execute("INSERT INTO runs (run_id, scenarios, status, started_at, config, seed, draws, "
                "sampler, code_version) VALUES ('r1', ['base'], 'published', now(), '{}', 1, 0, "
                "'sobol', 'test')")
    rows = sensitivity.tornado(load_inputs(data, "base")).head(3).with_columns(
        pl.lit("r1").alias("run_id"))
    warehouse.append_frame(con, "sensitivity", rows)
    con.close()
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "from the published warehouse" in out and "run r1" in out


def test_version_and_help_list_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from chipcast import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chipcast {__version__}"
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    assert "sobol" in text and "lhs" in text and "random" in text  # --sampler choices
