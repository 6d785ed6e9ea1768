"""runs.log records every run: whole lines under concurrent appends, the run that lost the
lock, a run killed just after publishing and one killed before (reconciled by the next run);
a damaged warehouse is the environment's problem (exit 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chipcast.errors import EXIT_ENVIRONMENT, WarehouseLocked
from chipcast.store import publish
from chipcast.store import warehouse as wh
from chipcast.store.lock import WarehouseLock

REPO = Path(__file__).resolve().parents[2]

# Appends `count` records of ~`size` bytes to runs.log of argv[1], tagged with argv[2].
APPENDER = """
import sys
from chipcast.store.runslog import append_runs_log
out, tag, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for i in range(count):
    append_runs_log(out, {"writer": tag, "i": i, "pad": tag * size})
"""

# A run that publishes, then dies (os._exit: no __exit__, no runs.log record, lock by the OS).
KILLED_AFTER_COMMIT = """
import os, sys
from datetime import date
import polars as pl
from chipcast.config import RunConfig
from chipcast.store import publish, warehouse as wh
out = sys.argv[1]
pub = publish.Publication(out, meta={"scenarios": ["base"]}).__enter__()
with pub.paths.connect() as con:
    wh.start_run(con, pub.run_id, RunConfig(out_dir=out), pub.started_at)
    wh.write_forecast(con, pub.run_id, pl.DataFrame([dict(
        month=date(2023, 1, 1), scenario="base", firm="all", workload="all",
        sku="A100-80GB-SXM", vendor="NVIDIA", metric="units_shipped", value=1.0,
        unit="units/month")]))
    wh.finish_run(con, pub.run_id, "published")
    wh.create_marts(con)
pub.paths.export()
pub.commit()
print(pub.run_id, flush=True)
os._exit(9)
"""


def test_concurrent_appends_never_interleave_inside_a_line(tmp_path: Path) -> None:
    writers, count, size = 4, 200, 2048  # lines well past a pipe's atomic 512 bytes
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(tmp_path), tag, str(count),
                               str(size)], cwd=REPO)
             for tag in "abcd"[:writers]]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    # (an empty line may appear: a writer that saw another's line half-way through its check
    # for a cut last line starts its own on a new line; readers skip empty lines)
    lines = [line for line in (tmp_path / publish.RUNS_LOG).read_text().splitlines() if line]
    assert len(lines) == writers * count
    records = [json.loads(line) for line in lines]  # every line a whole JSON object
    for tag in "abcd"[:writers]:
        mine = [r["i"] for r in records if r["writer"] == tag]
        assert mine == list(range(count))  # each writer's lines in its own order
        assert all(r["pad"] == tag * size for r in records if r["writer"] == tag)


def test_the_run_that_loses_the_lock_is_recorded(tmp_path: Path) -> None:
    with WarehouseLock(tmp_path):  # another writer holds it (unshared: excludes us too)
        with pytest.raises(WarehouseLocked):
            with publish.Publication(tmp_path, meta={"scenarios": ["base"]}):
                pass
    records = publish.read_runs_log(tmp_path)
    assert [r["status"] for r in records] == ["locked"]
    assert records[0]["scenarios"] == ["base"] and "another chipcast run" in records[0]["error"]


def test_a_run_killed_after_publishing_is_reconciled_by_the_next(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_AFTER_COMMIT, str(tmp_path)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    killed = done.stdout.strip()
    assert publish.latest_run_id(tmp_path) == killed  # it did publish...
    assert not (tmp_path / publish.RUNS_LOG).exists()  # ...and wrote no record

    with publish.Publication(tmp_path, meta={"scenarios": ["base"]}) as pub:
        pass  # the next run: reconciles on entering, then fails (no commit)
    records = publish.read_runs_log(tmp_path)
    assert [(r["run_id"], r["status"], r.get("reconciled")) for r in records] == [
        (killed, "published", True), (pub.run_id, "failed", None)]
    assert records[0]["scenarios"] == ["base"]
    with publish.Publication(tmp_path):  # reconciled once, not again
        pass
    assert [r["run_id"] for r in publish.read_runs_log(tmp_path)].count(killed) == 1


def test_a_run_killed_before_publishing_is_reconciled_from_its_private_copy(
        tmp_path: Path) -> None:
    killed = publish.Publication(tmp_path).__enter__()  # then "killed": no __exit__
    publish._OPEN.pop(killed.run_id)
    killed._lock.release()  # what the OS does for a dead process
    assert killed.paths.work.exists()
    with publish.Publication(tmp_path):
        pass
    records = publish.read_runs_log(tmp_path)
    assert (records[0]["run_id"], records[0]["status"], records[0]["reconciled"]) == (
        killed.run_id, "failed", True)
    assert not killed.paths.work.exists()


def test_an_interrupted_run_is_recorded_as_interrupted(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with publish.Publication(tmp_path) as pub:
            raise KeyboardInterrupt
    record = publish.read_runs_log(tmp_path)[-1]
    assert (record["run_id"], record["status"]) == (pub.run_id, "interrupted")
    assert not pub.paths.work.exists()


def test_a_damaged_warehouse_is_an_environment_problem(tmp_path: Path) -> None:
    (tmp_path / wh.DB_NAME).write_bytes(b"\0" * 4096 + b"damaged")
    with pytest.raises(publish.UnreadableWarehouse) as caught:
        with publish.Publication(tmp_path):
            pass
    assert caught.value.exit_code == EXIT_ENVIRONMENT
    assert len(str(caught.value).splitlines()) == 1


def test_a_partial_line_from_an_old_crash_does_not_break_reading(tmp_path: Path) -> None:
    (tmp_path / publish.RUNS_LOG).write_text('{"run_id": "a", "status": "published"}\n{"run_')
    publish.append_runs_log(tmp_path, {"run_id": "b", "status": "failed"})
    assert [r["run_id"] for r in publish.read_runs_log(tmp_path)] == ["a", "b"]
