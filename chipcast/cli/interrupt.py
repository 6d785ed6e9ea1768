"""Ctrl-C and SIGTERM during a long command: stop within a few seconds, exit 130.

The first SIGINT or SIGTERM raises KeyboardInterrupt in the main thread, so the run unwinds
normally (Prefect marks the flow run crashed, the Publication removes its private files and
records the run in runs.log, the lock is released, the temporary Prefect server is stopped),
and starts a watchdog: if the unwinding has not finished after HARD_STOP seconds, or a second
signal arrives, the private files of the open publications are removed and the process ends at
once with exit 130 (the kernel drops the lock, and the temporary server dies with its parent,
flows/server.py).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from chipcast.errors import EXIT_INTERRUPTED

HARD_STOP = 4.0  # s after the first signal: a run must end within 5 s of Ctrl-C
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _hard_exit(why: str) -> None:
    """Remove the open runs' private files and end the process now (exit 130)."""
    try:
        # Imported here: only an interrupted run pays for the store's imports (DuckDB).
        from chipcast.store.publish import abandon_open_publications

        abandon_open_publications(why)
    finally:
        print(f"interrupted ({why}); private files removed, nothing new was published",
              file=sys.stderr, flush=True)
        os._exit(EXIT_INTERRUPTED)


@contextmanager
def interruptible(hard_stop: float = HARD_STOP) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM interrupt the command as described above (main
    thread only: Python delivers signals there). The previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    state = {"signalled": False}

    def handler(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if state["signalled"]:
            _hard_exit(f"second signal {name}")
        state["signalled"] = True
        timer = threading.Timer(hard_stop, _hard_exit, args=(f"{name}, still stopping after "
                                                             f"{hard_stop:g} s",))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt(name)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
