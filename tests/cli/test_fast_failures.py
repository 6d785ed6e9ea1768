"""Wrong usage and a held lock are answered at once, before Prefect starts: run in a
subprocess as a user runs the command, with `-X importtime` telling which libraries it loaded.
What makes an answer slow is loading Prefect, Great Expectations, DuckDB or numba (seconds
each), so the tests assert that none was loaded rather than timing the answer (speed targets
live in bench/: a wall-clock limit here failed on a loaded machine, not on a regression)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chipcast.store.lock import HOLDER_NAME, WarehouseLock

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("prefect", "great_expectations", "duckdb", "numba")

# Holds the lock of argv[1] and says so, then sleeps until killed.
HOLDER = """
import sys, time
from chipcast.store.lock import WarehouseLock
lock = WarehouseLock(sys.argv[1]).acquire()
print("held", flush=True)
time.sleep(600)
"""


def chipcast(*args: str, cwd: Path = REPO) -> tuple[subprocess.CompletedProcess, float]:
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "chipcast.cli", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    return done, time.monotonic() - t0


def heavy_imports(done: subprocess.CompletedProcess) -> set[str]:
    """The heavy libraries a command loaded (from -X importtime's lines on stderr)."""
    loaded = {line.rsplit("|", 1)[-1].strip().split(".")[0]
              for line in done.stderr.splitlines() if line.startswith("import time:")}
    return loaded & set(HEAVY)


@pytest.mark.parametrize("args, says", [
    (["run", "--scenario", "nope"], "unknown scenario 'nope'"),
    (["run", "--draws", "many"], "Invalid value for '--draws'"),
    (["run", "--bogus"], "No such option"),
    (["run", "--dask", "somewhere"], "--dask must be 'local' or a scheduler address"),
    (["run", "--wait", "-1"], "--wait"),
    (["run", "--seed", "-1"], "Invalid value for '--seed'"),  # was a traceback after 40 s
    (["run", "--draws", "-5"], "Invalid value for '--draws'"),
    (["query", ""], "the SQL is empty"),  # was an AttributeError
    (["serve", "--timezone", "Mars/Olympus"], "not an IANA timezone"),
    (["serve", "--cron", "6 daily"], "needs 5 fields"),
])
def test_wrong_usage_exits_2_before_loading_heavy_libraries(args: list[str], says: str) -> None:
    done, _ = chipcast(*args)
    assert done.returncode == 2, done.stderr[-2000:]
    assert says in done.stderr
    assert heavy_imports(done) == set(), args
    assert "Traceback" not in done.stderr


def test_usage_errors_never_import_prefect() -> None:
    code = ("import sys; from chipcast.cli import main; "
            "c = main(['run', '--scenario', 'nope']); "
            "print('prefect' in sys.modules, c)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.split() == ["False", "2"], done.stderr


@pytest.fixture
def holder(tmp_path: Path):
    """A second process holding the lock of tmp_path (killed at the end)."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def test_a_second_writer_waits_then_exits_3_naming_the_holder(tmp_path: Path, holder) -> None:
    done, seconds = chipcast("run", "--out-dir", str(tmp_path), "--draws", "0", "--wait", "1")
    assert done.returncode == 3, done.stderr
    since = json.loads((tmp_path / HOLDER_NAME).read_text())["since"]
    assert f"held by pid {holder.pid} since {since}" in done.stderr
    assert "after waiting 1 s" in done.stderr
    # it waited the second it was given, and loaded no Prefect (no server) to find out
    assert seconds >= 1.0
    assert heavy_imports(done) == set()
    # the losing run is in the history too: one "locked" record naming its pid's holder
    records = [json.loads(line) for line in (tmp_path / "runs.log").read_text().splitlines()]
    assert [r["status"] for r in records] == ["locked"]
    assert records[0]["run_id"] is None and f"pid {holder.pid}" in records[0]["error"]


def test_the_lock_of_a_killed_process_is_taken_over(tmp_path: Path, holder) -> None:
    with pytest.raises(Exception, match="held by pid"):
        WarehouseLock(tmp_path).acquire()
    os.kill(holder.pid, signal.SIGKILL)  # no clean-up code runs in the holder
    holder.wait(timeout=30)
    assert (tmp_path / ".lock").exists()  # the file stays; the OS dropped the lock itself
    t0 = time.monotonic()
    with WarehouseLock(tmp_path) as lock:
        assert lock.held
        assert json.loads((tmp_path / HOLDER_NAME).read_text())["pid"] == os.getpid()
    assert time.monotonic() - t0 < 1.0


def test_a_shared_hold_lets_this_process_join_but_not_others(tmp_path: Path) -> None:
    with WarehouseLock(tmp_path, share=True):
        with WarehouseLock(tmp_path) as inner:  # the flow inside `chipcast run`
            assert inner.held
        code = ("import sys; from chipcast.store.lock import check_unlocked; "
                "check_unlocked(sys.argv[1])")
        other = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO,
                               capture_output=True, text=True, timeout=60)
        assert other.returncode != 0 and "WarehouseLocked" in other.stderr
    # released by the outer holder: a new process gets it
    again = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
