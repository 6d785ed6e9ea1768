"""runs.log: the append-only history of every run of an output folder, one JSON object a line
(published, failed, interrupted, locked, reconciled; see chipcast.store.publish). Light on
imports (no DuckDB): the CLI records a run that lost the lock before loading anything else."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chipcast.errors import WarehouseLocked

RUNS_LOG = "runs.log"


def append_runs_log(out_dir: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON line to <out_dir>/runs.log (append-only history, failed runs included):
    one os.write on an O_APPEND descriptor, so the line lands whole after every other line even
    when two runs append at once (the losing run of a lock writes without holding it)."""
    line = (json.dumps(dict(record), default=str, sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(Path(out_dir) / RUNS_LOG, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            # A line cut by an older crash: ours starts on its own line. (Another writer's line
            # landing meanwhile can make this an empty line, which readers skip.)
            line = b"\n" + line
        written = os.write(fd, line)
        if written != len(line):  # a full disk mid-line: say so rather than leave half a record
            raise OSError(28, "runs.log record cut short (no space left?)",
                          str(Path(out_dir) / RUNS_LOG))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_runs_log(out_dir: Path) -> list[dict[str, Any]]:
    """All records of <out_dir>/runs.log, oldest first ([] if none). A line that is not a
    JSON object (cut by a crash of an older version) is skipped."""
    path = Path(out_dir) / RUNS_LOG
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def record_locked(out_dir: Path, exc: WarehouseLocked, meta: Mapping[str, Any]) -> None:
    """runs.log record of a run that could not take the lock (status "locked"; no run id:
    the run never started). Best effort: an unwritable folder must not hide the lock error."""
    now = datetime.now(UTC).isoformat()
    try:
        append_runs_log(out_dir, {"run_id": None, "status": "locked", "started_at": now,
                                  "finished_at": now, "pid": os.getpid(), "error": str(exc),
                                  **meta})
    except OSError:
        pass
