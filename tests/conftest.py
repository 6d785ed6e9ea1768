"""Session-wide test setup.

Prefect: every test gets a private PREFECT_HOME, analytics off and no telemetry. Tests marked
`@pytest.mark.prefect` share ONE real Prefect server for the whole session (`prefect server
start` on 127.0.0.1, its own PREFECT_HOME, stopped by its PID at the end; see
tests/fixtures/prefect_server.py); tests of the maths never start one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Set before anything imports prefect (its settings are read at import).
_PREFECT_HOME = tempfile.mkdtemp(prefix="chipcast-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# A user's configured server or profile must not leak into tests.
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("PREFECT_PROFILE", None)


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """The API URL of one real Prefect server shared by all prefect-marked tests. Flows run in
    this process and in subprocesses (PREFECT_API_URL is set for both) report to it."""
    from prefect_server import prefect_server as start

    home = Path(tempfile.mkdtemp(prefix="chipcast-prefect-server-"))
    with start(home) as url:
        # Importing prefect sets up its console log handler on the current sys.stderr: do it
        # here, under the session's capture, not inside a test whose capsys stream closes.
        import prefect.main  # noqa: F401
        from prefect.settings import PREFECT_API_URL, temporary_settings

        os.environ["PREFECT_API_URL"] = url  # for subprocesses (serve, the wheel's CLI)
        try:
            with temporary_settings(updates={PREFECT_API_URL: url}):
                yield url
                # Send the logs still queued while the server is up (not at interpreter exit).
                import logging

                from prefect.logging.handlers import APILogHandler

                for name in ("prefect", "prefect.flow_runs", "prefect.task_runs"):
                    for handler in logging.getLogger(name).handlers:
                        if isinstance(handler, APILogHandler):
                            handler.flush()
        finally:
            os.environ.pop("PREFECT_API_URL", None)


@pytest.fixture(autouse=True)
def _prefect_for_marked_tests(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("prefect") is not None:
        request.getfixturevalue("prefect_server")


@pytest.fixture(autouse=True)
def _prefect_console_follows_capture() -> Iterator[None]:
    """Prefect's console log handler keeps the stderr stream of the test that first configured
    logging; pytest closes that captured stream after the test, so a later flow failure would
    log "I/O operation on closed file" with a traceback into the next test's stderr. Make the
    handlers' rich consoles look sys.stderr up at each write (a console without a file does)."""
    import logging
    import sys

    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(
        logging.Logger.manager.loggerDict))]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            console = getattr(handler, "console", None)
            if console is None:
                continue
            stream = console.file
            if stream in (sys.stderr, sys.__stderr__) or getattr(stream, "closed", False):
                console.file = None  # type: ignore[assignment]
                console.stderr = True
    yield
