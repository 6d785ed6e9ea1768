"""The Prefect API a `chipcast run` reports to, for the run's lifetime only.

With PREFECT_API_URL set, that server is used (checked first: an unreachable one is an
EnvironmentProblem, exit 4, at once instead of minutes of httpx retries). Without it, Prefect 3.9
would start its own temporary server (`SubprocessASGIServer`, on first `get_client()`) in the
run's process group and stop it only from an `atexit` hook, so

- Ctrl-C in a terminal reached the server too (same foreground process group): the server
  died first and the run's last state updates retried against it for minutes;
- a run killed with SIGKILL never ran the `atexit` hook: the server (~200 MB) ran forever.

`temporary_server()` starts the same uvicorn app Prefect starts (same arguments and
environment as prefect/server/api/server.py's `_run_uvicorn_command`), but in its own session
(a terminal's Ctrl-C reaches the run only, which stops the server itself after its last state
update) and with a parent-death signal (Linux `prctl(PR_SET_PDEATHSIG, SIGKILL)`): when the
process that started it dies, for any reason, the kernel kills the server.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import prefect
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from chipcast.errors import EnvironmentProblem

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
HEALTH_TIMEOUT = 5.0  # s: a configured server that does not answer /health in this is down
STOP_GRACE = 1.0  # s: SIGTERM, then SIGKILL (a run must end within 5 s of Ctrl-C)
DRAIN_TIMEOUT = 1.5  # s: the run's queued logs and events may take this long to send
DRAIN_INTERRUPTED = 0.3  # s: the same when the run was interrupted (a user is waiting)
SERVER_ENV = {  # as Prefect's own temporary server: no UI, ephemeral mode
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}


def _die_with_parent(parent: int) -> None:
    """In the forked child, before exec: ask the kernel for SIGKILL when the parent dies, and
    exit at once if it has died already (the request only covers a later death)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_reachable(url: str, timeout: float = HEALTH_TIMEOUT) -> None:
    """Raise EnvironmentProblem unless the Prefect API at `url` answers /health."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/health", timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise EnvironmentProblem(
            f"the Prefect API at PREFECT_API_URL={url} cannot be reached ({type(exc).__name__}: "
            f"{exc}); start that server, or unset PREFECT_API_URL to let chipcast run its own "
            "temporary one") from None


def start_server(startup_timeout: float | None = None,
                 meanwhile: Callable[[], object] | None = None
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """Start a temporary Prefect API server for this process; (process, API URL). `meanwhile`
    (the caller's own start-up work, e.g. imports) runs once while the server boots: the
    server is another process, so on two cores the two overlap."""
    settings = get_current_settings()
    timeout = startup_timeout or float(settings.server.ephemeral.startup_timeout_seconds)
    env = {**os.environ, **SERVER_ENV,
           **settings.to_environment_variables(exclude_unset=True)}
    env.pop("PREFECT_API_URL", None)
    parent = os.getpid()
    deadline = time.monotonic() + timeout
    while True:
        port = _free_port()
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
             "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "error", "--lifespan", "on"],
            env=env, start_new_session=True, stdin=subprocess.DEVNULL,
            preexec_fn=lambda: _die_with_parent(parent),  # noqa: PLW1509 - before threads use it
        )
        url = f"http://127.0.0.1:{port}/api"
        try:
            if meanwhile is not None:
                meanwhile()
                meanwhile = None
            while True:
                code = proc.poll()
                if code is not None:
                    break  # 3: the port was taken meanwhile; try another below
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        return proc, url
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise EnvironmentProblem(
                        f"the temporary Prefect server gave no answer in {timeout:g} s; raise "
                        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS or set "
                        "PREFECT_API_URL to a running server")
                time.sleep(0.1)
        except BaseException:
            stop_server(proc)
            raise
        if code != 3 or time.monotonic() > deadline:
            raise EnvironmentProblem(
                f"the temporary Prefect server exited with code {code} while starting; "
                "run `prefect server start` to see why, or set PREFECT_API_URL")


def stop_server(proc: subprocess.Popen[bytes], grace: float = STOP_GRACE) -> None:
    """Stop the server we started, by its PID: SIGTERM, SIGKILL after `grace` s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def run_server(meanwhile: Callable[[], object] | None = None
               ) -> Iterator[subprocess.Popen[bytes] | None]:
    """The Prefect API for one run: the configured PREFECT_API_URL (checked, yields None), else
    a temporary server of this process (yields its process), stopped on leaving the block.
    `meanwhile` runs before the block, while a temporary server boots (start_server)."""
    url = PREFECT_API_URL.value()
    if url:
        check_reachable(url)
        if meanwhile is not None:
            meanwhile()
        yield None
        return
    proc, url = start_server(meanwhile=meanwhile)
    # The environment too: processes the run starts (Dask workers) report to the same server.
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}):
            try:
                yield proc
            except BaseException as exc:
                drain_reports(DRAIN_TIMEOUT if isinstance(exc, Exception) else DRAIN_INTERRUPTED)
                raise
            drain_reports()
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        stop_server(proc)


def drain_reports(timeout: float = DRAIN_TIMEOUT) -> None:
    """Send the logs and events still queued while the server is up (Prefect would try at
    interpreter exit, after the server has stopped, and print connection tracebacks)."""
    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=timeout)
        except Exception:  # noqa: BLE001, S112 - best effort: the run's outcome is decided
            continue
