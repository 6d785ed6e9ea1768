"""Helpers shared by the flows: stage lines for the terminal and the retry rule for I/O tasks
(I/O tasks only: retried with exponential backoff when the error may pass)."""

from __future__ import annotations

import logging
import sys
from typing import Any

from prefect.tasks import exponential_backoff

from chipcast.errors import ChipcastError

# Retries of a task that reads or writes files: 1 s, then 2 s (then the run fails).
IO_RETRIES = 2
IO_RETRY_DELAYS = exponential_backoff(backoff_factor=1)


def stage(message: str) -> None:
    """Print one progress line (the CLI's stage lines; Prefect logs are separate)."""
    print(f"chipcast: {message}", file=sys.stderr, flush=True)


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry an I/O task only for errors that may pass (disk, network file systems); a data
    error (ChipcastError) fails at once, since reading the same bad file again cannot help."""
    return not isinstance(getattr(state, "data", None), ChipcastError)


class _NoDataErrorTracebacks(logging.Filter):
    """Keep Prefect's line about a failed run but drop the traceback of a data error: the CLI
    prints the problems themselves (file, row, column, hint), and a stack helps no analyst."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], ChipcastError):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_data_error_tracebacks() -> None:
    """Install the filter on Prefect's flow- and task-run loggers (idempotent)."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _NoDataErrorTracebacks) for f in logger.filters):
            logger.addFilter(_NoDataErrorTracebacks())
