"""Helpers shared by the flows: stage lines for the terminal and the retry rule for I/O tasks."""

from __future__ import annotations

import sys
from typing import Any

from chipcast.errors import ChipcastError


def stage(message: str) -> None:
    """Print one progress line (the CLI's stage lines; Prefect logs are separate)."""
    print(f"chipcast: {message}", file=sys.stderr, flush=True)


def transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry an I/O task only for errors that may pass (disk, network file systems); a data
    error (ChipcastError) fails at once, since reading the same bad file again cannot help."""
    return not isinstance(getattr(state, "data", None), ChipcastError)
