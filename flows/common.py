"""Helpers shared by the flows: stage lines for the terminal and the retry rule for I/O tasks
(I/O tasks only: retried with exponential backoff when the error may pass)."""

from __future__ import annotations

import errno
import logging
import sys
from typing import Any

from prefect.tasks import exponential_backoff

from chipcast.errors import ChipcastError, debugging

# Retries of a task that reads or writes files: 1 s, then 2 s (then the run fails).
IO_RETRIES = 2
IO_RETRY_DELAYS = exponential_backoff(backoff_factor=1)


def stage(message: str) -> None:
    """Print one progress line (the CLI's stage lines; Prefect logs are separate)."""
    print(f"chipcast: {message}", file=sys.stderr, flush=True)


# OSErrors that may pass if the same call is made again a moment later (a busy or flaky disk,
# a network file system); anything else (a missing file, a folder in place of a file, no
# permission, a full disk) gives the same answer on every try.
TRANSIENT_ERRNOS = frozenset({errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.EIO,
                              errno.ESTALE, errno.ETIMEDOUT})


def is_transient(exc: BaseException | None) -> bool:
    """Whether an error may pass on a retry: an OSError with a TRANSIENT_ERRNOS number, never a
    ChipcastError (a data or environment problem the user must fix)."""
    if isinstance(exc, ChipcastError) or not isinstance(exc, OSError):
        return False
    return exc.errno in TRANSIENT_ERRNOS


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """retry_condition_fn of the I/O tasks: retry only a transient error (is_transient; Prefect
    3 passes the failed state, whose `data` is the exception)."""
    return is_transient(getattr(state, "data", None))


class _NoDataErrorTracebacks(logging.Filter):
    """Keep Prefect's line about a failed run but drop its traceback: the CLI prints the
    problems themselves (file, row, column, hint) or one line for any other error, and a stack
    helps no analyst. With `chipcast --debug` (CHIPCAST_DEBUG=1) only a data error's is
    dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and (not debugging()
                                or isinstance(record.exc_info[1], ChipcastError)):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_data_error_tracebacks() -> None:
    """Install the filter on Prefect's flow- and task-run loggers (idempotent)."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoDataErrorTracebacks) for f in logger.filters):
            logger.addFilter(_NoDataErrorTracebacks())
