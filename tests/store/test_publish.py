"""Publication: atomic swap, pinned storage format, lock, failed runs change nothing."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast import cli
from chipcast.config import RunConfig
from chipcast.errors import CheckFailed, Problem, WarehouseLocked
from chipcast.inputs import available_scenarios
from chipcast.store import publish
from chipcast.store import warehouse as wh
from chipcast.store.lock import HOLDER_NAME, WarehouseLock

LOCK_FILES = (publish.LOCK_NAME, HOLDER_NAME)


def _rows(value: float) -> pl.DataFrame:
    """Three months of one SKU's units shipped, all buyers (the forecast's per-SKU rows)."""
    return pl.DataFrame([
        dict(month=date(2023, m, 1), scenario="base", firm="all", workload="all",
             sku="A100-80GB-SXM", vendor="NVIDIA", metric="units_shipped", value=value,
             unit="units/month")
        for m in (1, 2, 3)
    ])


def _publish(out: Path, value: float) -> str:
    with publish.Publication(out, meta={"scenarios": ["base"]}) as pub:
        with pub.paths.connect() as con:
            wh.start_run(con, pub.run_id, RunConfig(out_dir=out), pub.started_at)
            wh.write_forecast(con, pub.run_id, _rows(value))
            wh.finish_run(con, pub.run_id, "published")
            wh.create_marts(con)
        pub.paths.export()
        pub.commit()
    return pub.run_id


def _snapshot(out: Path) -> dict[str, str]:
    """sha256 of every published output (runs.log is an append-only log, .lock a lock)."""
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in (publish.RUNS_LOG, publish.LOCK_NAME, HOLDER_NAME)
    }


def test_run_ids_are_new_sortable_and_unique() -> None:
    a = publish.new_run_id(datetime(2024, 1, 31, 23, 59, 59, 123456, tzinfo=UTC))
    assert re.fullmatch(r"20240131T235959123Z-[0-9a-f]{6}", a)
    ids = [publish.new_run_id(datetime(2024, 1, 1, 0, 0, s, tzinfo=UTC)) for s in range(30)]
    assert ids == sorted(ids) and len(set(ids)) == 30
    same = {publish.new_run_id(datetime(2024, 1, 1, tzinfo=UTC)) for _ in range(50)}
    assert len(same) == 50


def test_commit_publishes_a_pinned_read_only_file_exports_and_pointer(tmp_path: Path) -> None:
    first = _publish(tmp_path, 1.0)
    second = _publish(tmp_path, 2.0)
    db = tmp_path / wh.DB_NAME
    assert wh.header_version(db) == 67  # DuckDB's number for the v1.4 storage format
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert (wh.storage_version(con) or "").startswith(wh.PINNED_STORAGE_VERSION)
        runs = con.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall()
        assert runs == [(first, "published"), (second, "published")]
        got = con.execute("SELECT DISTINCT run_id, value FROM mart_demand_monthly").fetchall()
        assert got == [(second, 2.0)]
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM forecast")
    finally:
        con.close()
    assert publish.latest_run_id(tmp_path) == second
    for run_id, value in ((first, 1.0), (second, 2.0)):
        exported = pl.read_parquet(tmp_path / "exports" / run_id / "forecast.parquet")
        assert exported["value"].to_list() == [value] * 3
    log = publish.read_runs_log(tmp_path)
    assert [(r["run_id"], r["status"]) for r in log] == [(first, "published"),
                                                         (second, "published")]
    leftovers = [p.name for p in tmp_path.rglob(".*") if p.name not in LOCK_FILES]
    assert leftovers == []


def test_exports_latest_is_a_folder_swapped_atomically_with_a_manifest(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "latest").write_text("old-run-id\n")  # the pointer file of older versions
    assert publish.latest_run_id(tmp_path) == "old-run-id"
    first = _publish(tmp_path, 1.0)
    latest = exports / "latest"
    assert latest.is_symlink() and latest.resolve() == (exports / first).resolve()
    second = _publish(tmp_path, 2.0)
    assert latest.is_symlink() and latest.resolve() == (exports / second).resolve()
    assert publish.latest_run_id(tmp_path) == second
    # a BI tool binds to exports/latest/<name>.parquet and sees the newest run's rows
    assert pl.read_parquet(latest / "forecast.parquet")["value"].to_list() == [2.0] * 3
    manifest = json.loads((latest / publish.MANIFEST).read_text())
    assert manifest["run_id"] == second
    parquet = sorted(p.name for p in latest.glob("*.parquet"))
    assert [e["file"] for e in manifest["files"]] == parquet and parquet
    for entry in manifest["files"]:
        path = latest / entry["file"]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["rows"] == pl.read_parquet(path).height
    assert not list(exports.glob(".latest-*"))  # no temporary link left behind
    # a copy of the tree that followed the link holds a real folder: the next publish mends it
    latest.unlink()
    shutil.copytree(exports / second, latest)
    third = _publish(tmp_path, 3.0)
    assert latest.is_symlink() and publish.latest_run_id(tmp_path) == third
    assert not list(exports.glob(".latest-*"))


def test_a_failed_check_leaves_published_outputs_byte_identical(tmp_path: Path) -> None:
    good = _publish(tmp_path, 1.0)
    before = _snapshot(tmp_path)
    problem = Problem(file="forecast", message="negative demand", column="value", row=2)
    with pytest.raises(CheckFailed):
        with publish.Publication(tmp_path, meta={"scenarios": ["base"]}) as pub:
            with pub.paths.connect() as con:
                wh.start_run(con, pub.run_id, RunConfig(out_dir=tmp_path))
                wh.write_forecast(con, pub.run_id, _rows(-5.0))
                wh.create_marts(con)
            pub.paths.export()  # even exports already written privately must not appear
            raise CheckFailed([problem])
    assert _snapshot(tmp_path) == before
    assert publish.latest_run_id(tmp_path) == good
    failed = publish.read_runs_log(tmp_path)[-1]
    assert failed["status"] == "failed" and failed["run_id"] == pub.run_id
    assert "negative demand" in failed["error"] and "row 2" in failed["problems"][0]
    assert not (tmp_path / "exports" / pub.run_id).exists()


def test_a_run_that_never_commits_publishes_nothing(tmp_path: Path) -> None:
    with publish.Publication(tmp_path) as pub, pub.paths.connect() as con:
        wh.start_run(con, pub.run_id, RunConfig(out_dir=tmp_path))
    assert not (tmp_path / wh.DB_NAME).exists()
    assert publish.read_runs_log(tmp_path)[-1]["status"] == "failed"


def test_a_second_writer_fails_at_once(tmp_path: Path, capsys) -> None:
    _publish(tmp_path, 1.0)
    before = _snapshot(tmp_path)
    with WarehouseLock(tmp_path):
        with pytest.raises(WarehouseLocked, match="another chipcast run"):
            with publish.Publication(tmp_path):
                pass
        # Through the CLI: exit 3 before any Prefect start.
        assert cli.main(["run", "--out-dir", str(tmp_path)]) == 3
        assert "WarehouseLocked" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before
    _publish(tmp_path, 2.0)  # the lock is released: the next run works


def test_stale_private_files_of_a_crashed_run_are_removed(tmp_path: Path) -> None:
    _publish(tmp_path, 1.0)
    (tmp_path / ".work-19990101T000000000Z-000000.duckdb").write_bytes(b"junk")
    (tmp_path / "exports" / ".tmp-19990101T000000000Z-000000").mkdir()
    _publish(tmp_path, 2.0)
    assert [p.name for p in tmp_path.rglob(".*") if p.name not in LOCK_FILES] == []


def test_runconfig_from_args_then_env_then_defaults(tmp_path: Path) -> None:
    import argparse

    env = {"CHIPCAST_SCENARIOS": "base, seed-2023", "CHIPCAST_DRAWS": "64",
           "CHIPCAST_SEED": "5", "CHIPCAST_OUT_DIR": str(tmp_path)}
    cfg = RunConfig.from_sources(argparse.Namespace(scenarios=None, seed=9), env)
    assert cfg.scenarios == ("base", "seed-2023") and cfg.draws == 64 and cfg.seed == 9
    assert cfg.out_dir == tmp_path and cfg.sampler == "sobol"
    default = RunConfig.from_sources(None, {}, shipped=available_scenarios)
    assert default.scenarios[0] == "base" and "seed-2023" in default.scenarios  # all shipped
    assert default.draws == 32768 and default.seed == 20231 and default.sensitivity_n == 512
    from chipcast.errors import UsageError

    with pytest.raises(UsageError):
        RunConfig.from_sources(None, {"CHIPCAST_DRAWS": "many"})
    with pytest.raises(UsageError):
        RunConfig(scenarios=("base", "base"))


def test_an_unreadable_published_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / wh.DB_NAME).write_bytes(b"not a database")
    with pytest.raises(publish.UnreadableWarehouse, match="move it away"):
        with publish.Publication(tmp_path):
            pass
    assert (tmp_path / wh.DB_NAME).read_bytes() == b"not a database"
    assert {p.name for p in tmp_path.iterdir()} == {wh.DB_NAME, publish.LOCK_NAME,
                                                    HOLDER_NAME, publish.RUNS_LOG}
    assert "cannot be opened" in publish.read_runs_log(tmp_path)[-1]["error"]


def test_a_failed_swap_leaves_no_trace_of_the_run(tmp_path: Path, monkeypatch) -> None:
    _publish(tmp_path, 1.0)
    before = _snapshot(tmp_path)
    real = publish.os.replace

    def fail_on_database(src, dst):  # the commit point: replacing chipcast.duckdb
        if Path(dst).name == wh.DB_NAME:
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(publish.os, "replace", fail_on_database)
    with pytest.raises(OSError, match="disk full"):
        _publish(tmp_path, 2.0)
    monkeypatch.setattr(publish.os, "replace", real)
    assert _snapshot(tmp_path) == before  # no orphan exports/<run_id>/ for the failed run
    assert publish.read_runs_log(tmp_path)[-1]["status"] == "failed"
