"""The writer lock of an output folder: one run writes `forecasts/` at a time.

`filelock` holds an exclusive lock on `<out_dir>/.lock` (fcntl.flock on Unix, so the operating
system drops it when the holding process dies: a killed run never leaves a stale lock). The
holder writes its PID and start time beside it, in `.lock.holder`, so a run that cannot take
the lock can say who holds it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from chipcast.errors import WarehouseLocked

LOCK_NAME = ".lock"
HOLDER_NAME = ".lock.holder"


def holder(out_dir: Path) -> dict[str, Any] | None:
    """What the last holder of the lock wrote (pid, since), or None."""
    try:
        return json.loads((Path(out_dir) / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class WarehouseLock:
    """An exclusive lock on <out_dir>/.lock, held for a whole run (a context manager).

    `wait` seconds: how long to wait for another holder (0 = fail at once) before raising
    WarehouseLocked naming the holder."""

    def __init__(self, out_dir: Path, wait: float = 0.0):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self.wait = wait
        self._lock: FileLock | None = None

    def acquire(self) -> WarehouseLock:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.path, timeout=self.wait, thread_local=False)
        try:
            lock.acquire(poll_interval=min(0.2, max(self.wait, 0.01)))
        except Timeout:
            who = holder(self.out_dir) or {}
            held = (f"pid {who.get('pid')} since {who.get('since')}" if who else "unknown")
            waited = f" after waiting {self.wait:g} s" if self.wait else ""
            raise WarehouseLocked(
                f"another chipcast run is writing {self.out_dir} (lock {self.path}, held by "
                f"{held}){waited}; wait for it to finish, or use --wait SECONDS"
            ) from None
        self._lock = lock
        info = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.out_dir / f"{HOLDER_NAME}.{os.getpid()}"
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, self.out_dir / HOLDER_NAME)
        return self

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def check_unlocked(out_dir: Path) -> None:
    """Raise WarehouseLocked now if another run holds the lock (a quick probe)."""
    with WarehouseLock(out_dir):
        pass
