"""Runtime failures of the CLI: one line and the documented exit code (docs/exit-codes.md) for
the environment's problems (exit 4), a bug (exit 70, the traceback only with --debug), query
limits and time-outs; and `chipcast run` stopped by real signals (exit 130 within 5 s, private
files removed, lock free, its temporary Prefect server gone)."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from chipcast.cli import main
from chipcast.errors import EXIT_ENVIRONMENT, EXIT_INTERNAL
from chipcast.project import SHIPPED_DATA
from chipcast.store import warehouse as wh
from chipcast.store.lock import WarehouseLock

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(tmp_path: Path) -> Path:
    """An output folder whose chipcast.duckdb holds one small table."""
    con = duckdb.connect(str(tmp_path / wh.DB_NAME))
    con.execute("CREATE TABLE t AS SELECT range AS i FROM range(10)")
    con.close()
    return tmp_path


# --- exit codes ------------------------------------------------------------------------------

def test_a_bug_is_one_line_exit_70_and_debug_shows_the_traceback(
        published: Path, capsys, monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something nobody expected\nsecond line")

    monkeypatch.setattr("chipcast.store.query.run_query", broken)
    assert main(["query", "SELECT 1", "--out-dir", str(published)]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("internal error: RuntimeError: something")
    assert "--debug" in err and "Traceback" not in err
    assert main(["--debug", "query", "SELECT 1", "--out-dir", str(published)]) == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    assert "CHIPCAST_DEBUG" not in os.environ  # --debug holds for one command only
    monkeypatch.setenv("CHIPCAST_DEBUG", "1")
    assert main(["query", "SELECT 1", "--out-dir", str(published)]) == EXIT_INTERNAL
    assert "Traceback (most recent call last)" in capsys.readouterr().err


@pytest.mark.parametrize("number, says", [
    (errno.ENOSPC, "no space left on the device"),
    (errno.EROFS, "the file system is read-only"),
    (errno.EACCES, "permission denied"),
])
def test_a_full_disk_or_read_only_output_folder_is_exit_4(
        tmp_path: Path, capsys, monkeypatch, number: int, says: str) -> None:
    # The lock file is the run's first write into the output folder; a tmpfs of a given size
    # needs root, so the write fails in-process as the kernel would fail it.
    def refuse(self: WarehouseLock) -> WarehouseLock:
        raise OSError(number, os.strerror(number), str(self.path))

    monkeypatch.setattr(WarehouseLock, "acquire", refuse)
    code = main(["run", "--scenario", "seed-2023", "--data-dir", str(SHIPPED_DATA),
                 "--out-dir", str(tmp_path / "out"), "--draws", "0"])
    err = capsys.readouterr().err
    assert code == EXIT_ENVIRONMENT, err
    assert says in err and str(tmp_path / "out" / ".lock") in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_a_chmod_read_only_output_folder_is_exit_4(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        code = main(["run", "--scenario", "seed-2023", "--data-dir", str(SHIPPED_DATA),
                     "--out-dir", str(out), "--draws", "0"])
    finally:
        out.chmod(0o700)
    assert code == EXIT_ENVIRONMENT
    assert "permission denied" in capsys.readouterr().err


def test_a_dead_prefect_api_url_is_exit_4_at_once(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "chipcast.cli", "run", "--scenario", "seed-2023", "--draws", "0",
         "--data-dir", str(SHIPPED_DATA), "--out-dir", str(tmp_path)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    assert f"PREFECT_API_URL=http://127.0.0.1:{port}/api cannot be reached" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - t0 < 60  # not minutes of retries (main took 80.7 s, bench/RESULTS.md)
    assert not list(tmp_path.glob(".work-*"))


def test_damaged_warehouse_in_query_is_4(published: Path, capsys) -> None:
    (published / wh.DB_NAME).write_bytes(b"\0" * 4096 + b"not duckdb")
    assert main(["query", "SELECT 1", "--out-dir", str(published)]) == EXIT_ENVIRONMENT
    assert "cannot be opened" in capsys.readouterr().err


# --- query limits ----------------------------------------------------------------------------

def test_query_of_empty_sql_is_a_usage_error(published: Path, capsys) -> None:
    for text in ("", "   ", " ; "):
        assert main(["query", text, "--out-dir", str(published)]) == 2
        err = capsys.readouterr().err
        assert "the SQL is empty" in err and "Traceback" not in err


def test_query_fetches_at_most_limit_rows_and_counts_the_rest(published: Path, capsys) -> None:
    total, limit = 5_000, 10
    sql = "SELECT range AS i FROM range(5000)"  # total rows
    assert main(["query", sql, "--out-dir", str(published), "--format", "csv",
                 "--limit", str(limit)]) == 0
    printed = capsys.readouterr()
    assert printed.out.splitlines() == ["i", *(str(i) for i in range(limit))]
    assert f"{total - limit:,} rows past --limit {limit:,} were not fetched" in printed.err
    assert main(["query", "SELECT 1 AS one", "--out-dir", str(published)]) == 0
    assert "not fetched" not in capsys.readouterr().err


def test_query_stops_at_its_timeout(published: Path, capsys) -> None:
    t0 = time.monotonic()
    code = main(["query", "SELECT sum(range) FROM range(100000000000)", "--out-dir",
                 str(published), "--timeout", "0.5"])
    seconds = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 1, err
    assert "ran longer than 0.5 s and was stopped" in err
    assert seconds < 5


def test_query_cannot_write_into_the_warehouse_temp_folder(published: Path, capsys) -> None:
    # DuckDB lets a query with external access off still write into its temp_directory, by
    # default <file>.tmp/ beside the warehouse: the query connection uses a private one.
    beside = published / f"{wh.DB_NAME}.tmp"
    beside.mkdir()
    target = beside / "leak.csv"
    assert main(["query", f"COPY (SELECT 42) TO '{target}'", "--out-dir", str(published)]) == 2
    assert "disabled by configuration" in capsys.readouterr().err
    assert not target.exists()
    assert main(["query", "SET temp_directory = '/tmp'", "--out-dir", str(published)]) == 2
    assert "locked" in capsys.readouterr().err


# --- signals during a real run ---------------------------------------------------------------

def _tagged(tag: str) -> list[int]:
    """Live processes whose environment carries the tag (the run and all it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"CHIPCAST_TEST_TAG={tag}".encode() not in (entry / "environ").read_bytes(
                    ).split(b"\0"):
                continue
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _start_run(out: Path, tag: str) -> subprocess.Popen:
    """`chipcast run` in its own session (as from a terminal), its stderr piped."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(CHIPCAST_TEST_TAG=tag, PREFECT_LOGGING_LEVEL="WARNING")
    return subprocess.Popen(
        [sys.executable, "-m", "chipcast.cli", "run", "--scenario", "seed-2023", "--draws", "0",
         "--sensitivity", "off", "--no-cache", "--data-dir", str(SHIPPED_DATA), "--out-dir",
         str(out)], cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True)


def _wait_for(proc: subprocess.Popen, fragment: str, timeout: float = 180) -> list[str]:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if fragment in line:
            return lines
    raise AssertionError(f"no {fragment!r} on stderr: {''.join(lines)[-2000:]}")


def _gone(tag: str, grace: float = 5.0) -> list[int]:
    deadline = time.monotonic() + grace
    while (left := _tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT to the group", "SIGTERM"])
def test_a_signal_stops_the_run_within_5_s_cleanly(tmp_path: Path, how: str) -> None:
    out, tag = tmp_path / "out", uuid.uuid4().hex
    proc = _start_run(out, tag)
    try:
        # A known moment: the run holds its publication (private copy, lock) and the flow and
        # its temporary server are up.
        lines = _wait_for(proc, "reading inputs from")
        work = list(out.glob(".work-*.duckdb"))
        assert len(work) == 1
        children = [p for p in _tagged(tag) if p != proc.pid]
        assert children, "the run started no temporary Prefect server"
        t0 = time.monotonic()
        if how.startswith("SIGINT"):
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        else:
            os.kill(proc.pid, signal.SIGTERM)
        rest = proc.stderr.read()
        proc.wait(timeout=60)
        seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = "".join(lines) + rest
    assert proc.returncode == 130, err[-3000:]
    assert seconds < 5.0, f"{seconds:.1f} s"
    assert "Traceback" not in err
    assert _gone(tag) == []  # the server it started is gone
    assert not any(out.glob(".work-*")) and not any(out.glob(".publish-*"))
    with WarehouseLock(out):  # free at once
        pass
    records = [json.loads(line) for line in (out / "runs.log").read_text().splitlines()]
    assert records[-1]["status"] == "interrupted"
    assert records[-1]["run_id"] == work[0].name[len(".work-"):-len(".duckdb")]


@pytest.mark.slow
def test_a_sigkilled_run_leaves_no_server_behind(tmp_path: Path) -> None:
    out, tag = tmp_path / "out", uuid.uuid4().hex
    proc = _start_run(out, tag)
    try:
        _wait_for(proc, "reading inputs from")
        assert [p for p in _tagged(tag) if p != proc.pid]
        os.kill(proc.pid, signal.SIGKILL)  # no handler, no atexit: only the kernel acts
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _gone(tag) == []  # the parent-death signal took the server down
    with WarehouseLock(out):
        pass


# A process that imported the CLI, then spends two seconds in Python's finalisation (a module
# global's __del__ runs after the interpreter has put the signals it handled back to default).
SLOW_TEARDOWN = """
import time
import chipcast.cli


class SlowTeardown:
    def __del__(self):
        print("finalizing", flush=True)
        time.sleep(2)


keep = SlowTeardown()
print("ready", flush=True)
"""


def test_a_signal_during_the_interpreters_teardown_does_not_kill_the_process() -> None:
    # soak_kill.py saw exit -2 (death by SIGINT) for a Ctrl-C just after a run had published:
    # the run had finished and Python was tearing down with SIGINT back at its default action
    proc = subprocess.Popen([sys.executable, "-c", SLOW_TEARDOWN], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("finalizing"):
            time.sleep(0.3)
            proc.send_signal(signal.SIGINT)
            break
    assert proc.wait(timeout=30) == 0


CONVERTED = """
import os, signal, time
from chipcast.cli.interrupt import interruptible
from chipcast.errors import interrupted

def library_handler(signum, frame):  # a library's own handler, turning the signal into an error
    raise ValueError("converted")

with interruptible(hard_stop=30):
    signal.signal(signal.SIGTERM, library_handler)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
    except ValueError:
        pass
    print(interrupted(), flush=True)  # at once: the watcher thread may not have run yet
os._exit(0)  # the armed watchdog would end the process with 130 after hard_stop
"""

# The converted error leaving the block: the block's Interrupt names the signal at once.
ESCAPED = """
import os, signal, time
from chipcast.cli.interrupt import interruptible
from chipcast.errors import interrupted

def library_handler(signum, frame):
    raise ValueError("converted")

try:
    with interruptible(hard_stop=30) as seen:
        signal.signal(signal.SIGTERM, library_handler)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(1)
except ValueError:
    print(seen.signal, interrupted(), flush=True)
os._exit(0)
"""


def test_a_signal_another_handler_turns_into_an_error_still_counts_as_an_interrupt() -> None:
    """A SIGTERM during a flow reaches Prefect's handler, and a library may turn what it raises
    into an ordinary exception (DuckDB's InterruptException in a query): the watchdog notes
    the signal itself, so the run is recorded as interrupted, not failed. Asked at once, before
    the watcher thread had a chance to read the signal (the race a CI run lost: SIGTERM
    recorded as failed), the signal still waiting in the wakeup socket counts."""
    proc = subprocess.run([sys.executable, "-c", CONVERTED], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "True"
    proc = subprocess.run([sys.executable, "-c", ESCAPED], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "SIGTERM True"


HANGS_AFTER_SIGNAL = """
import gc, os, signal, time
from chipcast.cli.interrupt import interruptible

try:
    with interruptible(hard_stop=1):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
except KeyboardInterrupt:
    pass
gc.collect()  # the block's objects are gone: the watchdog must still be armed
time.sleep(20)  # unwinding that hangs after the block
os._exit(0)
"""


def test_the_watchdog_stays_armed_after_the_interrupted_block() -> None:
    """Once a signal arrived, the hard stop holds even when the hang comes after the
    interruptible block has exited (its wakeup socket must outlive the block)."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", HANGS_AFTER_SIGNAL], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr[-2000:]
    assert time.monotonic() - t0 < 15
    assert "still stopping after 1 s" in proc.stderr
