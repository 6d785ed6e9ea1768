"""`chipcast run` and `chipcast query` through the CLI entry point."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from chipcast import cli
from chipcast.project import SHIPPED_DATA as DATA_DIR
from chipcast.store import publish
from chipcast.store import warehouse as wh


@pytest.mark.prefect
@pytest.mark.slow
def test_run_prints_summary_then_query_reads_it(tmp_path: Path, capfd) -> None:
    out = tmp_path / "forecasts"
    code = cli.main(["run", "--scenario", "seed-2023", "--data-dir", str(DATA_DIR),
                     "--out-dir", str(out)])
    printed = capfd.readouterr()
    assert code == 0, printed.err
    run_id = publish.latest_run_id(out)
    assert f"run {run_id} published: scenarios seed-2023" in printed.out
    assert "A100+A800 units shipped 2023-2025" in printed.out
    # the article's "> 2 million" is checked against its own world: 1.71 million, x1.17 short
    assert "peak units installed: 1,709,817" in printed.out
    assert "> 2 million A100s needs more than its stated inputs" in printed.out
    assert "x1.17 short" in printed.out
    assert str(out / wh.DB_NAME) in printed.out
    assert "[seed-2023] computing the deterministic forecast" in printed.err  # stage lines

    sql = ("SELECT scenario, run_id, a100_a800_units_shipped_2023_2025 AS n "
           "FROM mart_scenario_comparison")
    assert cli.main(["query", sql, "--out-dir", str(out), "--format", "json"]) == 0
    rows = json.loads(capfd.readouterr().out)
    assert [(r["scenario"], r["run_id"]) for r in rows] == [("seed-2023", run_id)]
    assert f"{rows[0]['n']:,.0f}" in printed.out  # the summary printed the mart's number
    assert cli.main(["query", "SELECT * FROM no_such_table", "--out-dir", str(out)]) == 2


@pytest.mark.prefect
@pytest.mark.slow
def test_bad_input_exits_1_names_the_problem_and_publishes_nothing(
        tmp_path: Path, capfd) -> None:
    out = tmp_path / "forecasts"
    out.mkdir()
    previous = duckdb.connect(str(out / "chipcast.duckdb"))  # must survive untouched
    previous.execute("CREATE TABLE t AS SELECT 1 AS previous_outputs")
    previous.close()
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    specs = data / "chip_specs.csv"
    lines = specs.read_text(encoding="utf-8").splitlines(keepends=True)
    row = next(i for i, line in enumerate(lines)
               if line.startswith("A100-80GB-SXM,dense_fp16_tflops,"))
    fields = lines[row].split(",")
    fields[2] = "312000000"  # FLOPS typed into a TFLOPS column: 1e6 x off
    lines[row] = ",".join(fields)
    specs.write_text("".join(lines), encoding="utf-8")
    before = hashlib.sha256((out / "chipcast.duckdb").read_bytes()).hexdigest()

    code = cli.main(["run", "--data-dir", str(data), "--out-dir", str(out)])
    err = capfd.readouterr().err
    assert code == 1
    assert "nothing was published" in err and "chip_specs.csv" in err and f"row {row}" in err
    assert "Traceback" not in err  # a data error is a message, not a stack
    assert hashlib.sha256((out / "chipcast.duckdb").read_bytes()).hexdigest() == before
    assert not (out / "exports").exists()
    assert publish.read_runs_log(out)[-1]["status"] == "failed"


def test_query_without_a_published_file_says_what_to_do(tmp_path: Path, capfd) -> None:
    assert cli.main(["query", "SELECT 1", "--out-dir", str(tmp_path)]) == 1
    assert "make run" in capfd.readouterr().err


def test_run_rejects_bad_options_as_usage_errors(tmp_path: Path, capfd) -> None:
    code = cli.main(["run", "--draws", "-1", "--out-dir", str(tmp_path)])
    assert code == 2 and "--draws" in capfd.readouterr().err
    assert not (tmp_path / wh.DB_NAME).exists()


def test_the_summary_of_an_unchanged_rerun_says_nothing_new_was_published() -> None:
    from types import SimpleNamespace

    from chipcast.cli.run import format_summary

    summary = SimpleNamespace(run_id="r1", scenarios=("base",), rows={"base": 10},
                              comparison=[], database="db", exports="ex", validation="va",
                              report="re.html", unchanged=True)
    first = format_summary(summary).splitlines()[0]
    assert first.startswith("run r1 unchanged") and "nothing new published" in first
    summary.unchanged = False
    assert format_summary(summary).splitlines()[0] == "run r1 published: scenarios base"
