"""`chipcast query`: read-only SQL on the published warehouse, three formats, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.cli import main
from chipcast.config import RunConfig
from chipcast.store import warehouse as wh


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """A published file holding one run of two scenarios and its marts."""
    con = duckdb.connect(str(tmp_path / wh.DB_NAME))
    wh.create_schema(con)
    wh.start_run(con, "r1", RunConfig(scenarios=("base", "seed-2023")), datetime.now(UTC))
    for scenario, n in (("base", 20.0), ("seed-2023", 3.0)):
        wh.write_headlines(con, "r1", pl.DataFrame([dict(
            scenario=scenario, headline="a100_a800_units_shipped_2023_2025",
            stat="deterministic", quantile=None, month=date(2025, 12, 1), value=n,
            unit="units")]))
    wh.finish_run(con, "r1", "published")
    wh.create_marts(con)
    con.close()
    return tmp_path


def test_nothing_published_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert main(["query", "SELECT 1", "--out-dir", str(tmp_path)]) == 1
    assert "make run" in capsys.readouterr().err


def test_formats(published: Path, capsys) -> None:
    sql = ("SELECT scenario, a100_a800_units_shipped_2023_2025 AS n "
           "FROM mart_scenario_comparison ORDER BY 1")
    base = ["query", sql, "--out-dir", str(published)]
    assert main([*base, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"scenario": "base", "n": 20.0}, {"scenario": "seed-2023", "n": 3.0}]
    assert main([*base, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["scenario,n", "base,20.0", "seed-2023,3.0"]
    assert main(base) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["scenario", "n"] and lines[-1] == "(2 rows)"
    row = next(line for line in lines if line.startswith("base"))
    assert row.rstrip().endswith("20")  # numbers are right-aligned, grouped


def test_errors_and_sandbox(published: Path, capsys) -> None:
    before = (published / wh.DB_NAME).read_bytes()

    def query(sql: str) -> int:
        return main(["query", sql, "--out-dir", str(published)])

    assert query("SELEC nonsense") == 2
    assert "SQL error" in capsys.readouterr().err
    assert query("DELETE FROM forecast") == 2  # read-only
    assert "read-only" in capsys.readouterr().err.lower()
    leak = published / "leak.csv"  # no file access outside the warehouse either
    assert query(f"COPY (SELECT 42) TO '{leak}'") == 2
    assert "disabled by configuration" in capsys.readouterr().err and not leak.exists()
    assert (published / wh.DB_NAME).read_bytes() == before
    assert main(["query", "SELECT 1", "--format", "xml", "--out-dir", str(published)]) == 2


def test_a_file_held_open_for_writing_is_one_line_and_exit_3(published: Path, capsys) -> None:
    # Another program (a BI tool, the duckdb shell) holds the file read-write.
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; "
         f"c = duckdb.connect({str(published / wh.DB_NAME)!r}); print('ready', flush=True); "
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert main(["query", "SELECT 1", "--out-dir", str(published)]) == 3
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "held open for writing" in err
        assert "Traceback" not in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("content, code, fragment", [
    (b"not a database", 4, "cannot be opened"),  # a damaged file: the environment, exit 4
    (None, 1, "make run"),
])
def test_unreadable_or_missing_file_is_one_line(tmp_path: Path, capsys, content, code,
                                                fragment) -> None:
    if content is not None:
        (tmp_path / wh.DB_NAME).write_bytes(content)
    assert main(["query", "SELECT 1", "--out-dir", str(tmp_path)]) == code
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_sql_errors_are_one_line(published: Path, capsys) -> None:
    assert main(["query", "SELECT *\nFROM nowhere", "--out-dir", str(published)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("SQL error:") and "nowhere" in err


def test_a_reader_that_leaves_early_is_no_error(published: Path) -> None:
    sql = "SELECT range AS n FROM range(200000)"
    proc = subprocess.run(
        f"{Path(sys.executable).parent / 'chipcast'} query '{sql}' --format csv "
        f"--out-dir {published} | head -n 2", shell=True, capture_output=True, text=True,
        timeout=120)  # noqa: S602 - a fixed pipeline in a test
    assert proc.stdout.splitlines() == ["n", "0"]
    assert "Traceback" not in proc.stderr and "Error" not in proc.stderr
