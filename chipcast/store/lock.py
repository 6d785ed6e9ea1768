"""The writer lock of an output folder: one run writes `forecasts/` at a time.

`filelock` holds an exclusive lock on `<out_dir>/.lock` (fcntl.flock on Unix, so the operating
system drops it when the holding process dies: a killed run never leaves a stale lock). The
holder writes its PID and start time beside it, in `.lock.holder`, so a run that cannot take
the lock can say who holds it.

A holder may share its lock with the rest of its process (`share=True`): the CLI takes the lock
before Prefect starts and the pipeline flow, running in the same process, joins it through its
Publication instead of blocking on itself (flock locks belong to an open file, so a second
FileLock on the same path would wait for the first). The operating-system lock is released when
the last holder in the process releases it. An unshared hold excludes everyone, this process
included.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

from chipcast.errors import WarehouseLocked

LOCK_NAME = ".lock"
HOLDER_NAME = ".lock.holder"

# The shared locks this process holds: lock path -> (FileLock, number of holders).
_HELD: dict[Path, tuple[FileLock, int]] = {}
_HELD_GUARD = threading.Lock()


def holder(out_dir: Path) -> dict[str, Any] | None:
    """What the last holder of the lock wrote (pid, since), or None."""
    try:
        return json.loads((Path(out_dir) / HOLDER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class WarehouseLock:
    """An exclusive lock on <out_dir>/.lock, held for a whole run (a context manager).

    `wait` seconds: how long to wait for another holder (0 = fail at once) before raising
    WarehouseLocked naming the holder. `share`: let other WarehouseLocks of this process join
    this hold (module docstring); a lock joins a shared hold of its process whatever its own
    `share`."""

    def __init__(self, out_dir: Path, wait: float = 0.0, share: bool = False):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self.wait = wait
        self.share = share
        self._lock: FileLock | None = None

    def acquire(self) -> WarehouseLock:
        if self._lock is not None:
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        key = self.path.resolve()
        with _HELD_GUARD:
            if key in _HELD:  # this process holds it, shared (the CLI, around the flow)
                lock, count = _HELD[key]
                _HELD[key] = (lock, count + 1)
                self._lock = lock
                return self
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
        if self.share:
            with _HELD_GUARD:
                _HELD[key] = (lock, 1)
        self._lock = lock
        info = {"pid": os.getpid(), "since": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.out_dir / f"{HOLDER_NAME}.{os.getpid()}"
        tmp.write_text(json.dumps(info), encoding="utf-8")
        os.replace(tmp, self.out_dir / HOLDER_NAME)
        return self

    def release(self) -> None:
        if self._lock is None:
            return
        key = self.path.resolve()
        with _HELD_GUARD:
            lock, count = _HELD.get(key, (self._lock, 1))
            if lock is not self._lock:  # an unshared hold: ours alone
                lock, count = self._lock, 1
            if count > 1:
                _HELD[key] = (lock, count - 1)
            else:
                if _HELD.get(key, (None, 0))[0] is lock:
                    del _HELD[key]
                lock.release()
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
    """Raise WarehouseLocked now if another run holds the lock (a quick probe; a run should
    hold the lock instead, since the probe's answer is stale at once)."""
    with WarehouseLock(out_dir):
        pass
