"""Safe publication of a run's outputs under forecasts/.

A run works on a private copy of the published warehouse and only swaps finished, checked
outputs into place:

1. take the lock `forecasts/.lock` (a second writer fails at once with WarehouseLocked);
2. copy `chipcast.duckdb` to `.work-<run_id>.duckdb` (or start empty) and do all writes there;
3. export Parquet into `exports/.tmp-<run_id>/` and the HTML report into
   `report/.tmp-<run_id>.html`;
4. commit: write the publishable file `.publish-<run_id>.duckdb` in the pinned storage format,
   rename the export folder to `exports/<run_id>/` and the report to `report/<run_id>.html`
   (new names: removed again if the run fails before the next step), `os.replace` the file
   over `chipcast.duckdb` (the commit point), then `report/latest.html` and the
   `exports/latest` pointer;
5. append one JSON line to `runs.log` (published or failed) and remove the private files.

A run that fails before commit leaves `chipcast.duckdb`, `exports/` and `latest` byte-identical.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import duckdb

from chipcast import warehouse
from chipcast.errors import ChipcastError, WarehouseLocked

LOCK_NAME = ".lock"
RUNS_LOG = "runs.log"
EXPORTS = "exports"
LATEST = "latest"
REPORTS = "report"


class UnreadableWarehouse(ChipcastError):
    """The published DuckDB file exists but cannot be opened (damaged or not DuckDB)."""


def new_run_id(now: datetime | None = None) -> str:
    """A new run id: UTC time to the millisecond + 6 random hex digits, e.g.
    `20240131T235959123Z-1a2b3c`. Ids sort by start time; the suffix keeps them unique."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    return f"{stamp}-{secrets.token_hex(3)}"


class WarehouseLock:
    """An exclusive, non-blocking fcntl lock on <out_dir>/.lock, held for a whole run. The OS
    drops it if the process dies, so a crashed run never leaves a stale lock."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / LOCK_NAME
        self._fh: TextIO | None = None

    def acquire(self) -> WarehouseLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+", encoding="utf-8")  # held open until release()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise WarehouseLocked(
                f"another chipcast run is writing {self.path.parent} (lock {self.path}, "
                f"held by {holder}); wait for it to finish and run again"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def __enter__(self) -> WarehouseLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def check_unlocked(out_dir: Path) -> None:
    """Raise WarehouseLocked now if another run holds the lock (a quick probe before starting
    Prefect; the run itself takes the lock for real)."""
    with WarehouseLock(out_dir):
        pass


def write_pinned(src: Path, dst: Path, storage_version: str) -> None:
    """Copy every table and view of the DuckDB file `src` into a new file `dst` written in
    `storage_version` (e.g. 'v1.4.0')."""
    if dst.exists():
        dst.unlink()
    con = duckdb.connect()
    try:
        con.execute(warehouse.sql("warehouse/attach_read_only"), {"path": str(src)})
        con.execute(
            warehouse.sql("warehouse/attach_pinned"),
            {"path": str(dst), "storage_version": storage_version},
        )
        con.execute(warehouse.sql("warehouse/copy_src_to_dst"))
        tag = warehouse.storage_version(con, "dst") or ""
        con.execute(warehouse.sql("warehouse/detach_dst"))
        con.execute(warehouse.sql("warehouse/detach_src"))
    finally:
        con.close()
    if not tag.startswith(storage_version):
        raise RuntimeError(f"{dst} has storage version {tag!r}, expected {storage_version}")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_runs_log(out_dir: Path, record: Mapping[str, Any]) -> None:
    """Append one JSON line to <out_dir>/runs.log (append-only history, failed runs included)."""
    with open(Path(out_dir) / RUNS_LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(dict(record), default=str, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_runs_log(out_dir: Path) -> list[dict[str, Any]]:
    """All records of <out_dir>/runs.log, oldest first ([] if none)."""
    path = Path(out_dir) / RUNS_LOG
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def latest_run_id(out_dir: Path) -> str | None:
    """The run id the `exports/latest` pointer names, or None."""
    path = Path(out_dir) / EXPORTS / LATEST
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


class Publication:
    """One run's transaction on the published outputs (use as a context manager).

    Inside the block, `con` is a read-write connection to the private copy. Call `commit()`
    after every check has passed; leaving the block without a commit (or with an exception)
    discards everything and records the failure in runs.log.
    """

    def __init__(
        self,
        out_dir: Path,
        run_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
        storage_version: str = warehouse.PINNED_STORAGE_VERSION,
    ):
        self.out_dir = Path(out_dir)
        self.run_id = run_id or new_run_id()
        self.meta = dict(meta or {})
        self.storage_version = storage_version
        self.published = self.out_dir / warehouse.DB_NAME
        self.work = self.out_dir / f".work-{self.run_id}.duckdb"
        self.staged = self.out_dir / f".publish-{self.run_id}.duckdb"
        self.exports_tmp = self.out_dir / EXPORTS / f".tmp-{self.run_id}"
        self.exports_dir = self.out_dir / EXPORTS / self.run_id
        self.report_tmp = self.out_dir / REPORTS / f".tmp-{self.run_id}.html"
        self.report = self.out_dir / REPORTS / f"{self.run_id}.html"
        self.started_at = datetime.now(UTC)
        self.committed = False
        self._lock = WarehouseLock(self.out_dir)
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("the publication is not open (use it in a with block)")
        return self._con

    def __enter__(self) -> Publication:
        self._lock.acquire()
        try:
            self._remove_stale()
            if self.published.exists():
                shutil.copyfile(self.published, self.work)
            try:
                self._con = duckdb.connect(str(self.work))
            except duckdb.Error as exc:
                raise UnreadableWarehouse(
                    f"the published warehouse {self.published} cannot be opened ({exc}); "
                    "move it away (or delete it) and run again: nothing was changed"
                ) from exc
            warehouse.create_schema(self._con)
        except BaseException as exc:
            self._close()
            self._cleanup()
            try:
                append_runs_log(self.out_dir, {**self._record(), "status": "failed",
                                               "error": _describe(exc)})
            finally:
                self._lock.release()
            raise
        return self

    def export(self) -> list[Path]:
        """Write this run's Parquet exports into a private folder (moved into place on commit)."""
        return warehouse.export_parquet(self.con, self.run_id, self.exports_tmp)

    def render_report(self) -> Path:
        """Write this run's HTML report privately (moved into place on commit)."""
        from chipcast.report import render_report

        return render_report(self.con, self.run_id, self.report_tmp)

    def commit(self) -> Path:
        """Swap the private copy, exports and report into place. Returns the published file.

        The run's own new names (exports/<run_id>/, report/<run_id>.html) go first; replacing
        chipcast.duckdb is the commit point; the `latest` pointers follow. Until the commit
        point a failure removes this run's names again (see _cleanup)."""
        self._close()  # closing checkpoints the WAL into the private file
        write_pinned(self.work, self.staged, self.storage_version)
        if self.exports_tmp.exists():
            os.replace(self.exports_tmp, self.exports_dir)
        if self.report_tmp.exists():
            os.replace(self.report_tmp, self.report)
        os.replace(self.staged, self.published)
        self.committed = True
        if self.report.exists():
            latest_tmp = self.report.with_name(f".{LATEST}-{self.run_id}.html")
            shutil.copyfile(self.report, latest_tmp)
            os.replace(latest_tmp, self.out_dir / REPORTS / f"{LATEST}.html")
        pointer = self.out_dir / EXPORTS / f".{LATEST}-{self.run_id}"
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.write_text(self.run_id + "\n", encoding="utf-8")
        os.replace(pointer, self.out_dir / EXPORTS / LATEST)
        _fsync_dir(self.out_dir)
        return self.published

    def _record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            **self.meta,
        }

    def _close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _remove_stale(self) -> None:
        """Private files of runs that crashed: nobody else can own them while we hold the lock."""
        for pattern in (".work-*.duckdb", ".work-*.duckdb.wal", ".publish-*.duckdb"):
            for path in self.out_dir.glob(pattern):
                path.unlink(missing_ok=True)
        for path in (self.out_dir / EXPORTS).glob(".tmp-*"):
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.out_dir / EXPORTS).glob(f".{LATEST}-*"):
            path.unlink(missing_ok=True)
        for path in (self.out_dir / REPORTS).glob(".*.html"):
            path.unlink(missing_ok=True)

    def _cleanup(self) -> None:
        for path in (self.work, Path(f"{self.work}.wal"), self.staged, self.report_tmp):
            path.unlink(missing_ok=True)
        shutil.rmtree(self.exports_tmp, ignore_errors=True)
        if not self.committed:  # moved into place, but the database swap never happened
            shutil.rmtree(self.exports_dir, ignore_errors=True)
            self.report.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._close()
            record = self._record()
            if self.committed:
                record.update(status="published", database=str(self.published),
                              exports=str(self.exports_dir))
            else:
                record.update(status="failed", error=_describe(exc))
                problems = getattr(exc, "problems", None)
                if problems:
                    record["problems"] = [str(p) for p in problems]
            append_runs_log(self.out_dir, record)
        finally:
            self._cleanup()
            self._lock.release()


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "the run ended before publishing"
    if isinstance(exc, ChipcastError):
        return f"{type(exc).__name__}: {exc}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()
