"""Session-wide test setup.

Prefect: every test gets a private PREFECT_HOME, analytics off and no telemetry. Tests marked
`@pytest.mark.prefect` share ONE temporary Prefect server (SQLite) for the whole session; tests
of the maths never start one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

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
def prefect_server() -> Iterator[None]:
    """One temporary local Prefect server (SQLite) for all prefect-marked tests."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # No flow-run heartbeats: test flows are short and heartbeats only add server traffic.
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        with prefect_test_harness(server_startup_timeout=120):
            yield


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
