"""Safe publication of a run's outputs under forecasts/.

A run works on a private copy of the published warehouse and only swaps finished, checked
outputs into place:

1. take the lock `forecasts/.lock` (chipcast.store.lock; a second writer fails with
   WarehouseLocked, at once or after `wait` seconds);
2. copy `chipcast.duckdb` to `.work-<run_id>.duckdb` (or start empty) and do all writes there;
3. export Parquet into `exports/.tmp-<run_id>/` and the HTML report into
   `report/.tmp-<run_id>.html`;
4. commit: write the publishable file `.publish-<run_id>.duckdb` in the pinned storage format,
   rename the export folder to `exports/<run_id>/` and the report to `report/<run_id>.html`
   (new names: removed again if the run fails before the next step), `os.replace` the file
   over `chipcast.duckdb` (the commit point), then `report/latest.html` and the
   `exports/latest` symlink (to `<run_id>`, replaced atomically: a file-based BI tool binds to
   `exports/latest/<name>.parquet` and its `manifest.json`);
5. append one JSON line to `runs.log` (published or failed) and remove the private files.

`runs.log` records every run: published, failed, interrupted, and one that lost the lock
(status "locked", written without the lock: each record is one `write` on an O_APPEND file, so
concurrent writers never interleave inside a line). A run killed before it could write its
record is reconciled by the next run that takes the lock: a published run in the warehouse's
`runs` table missing from the log, and the private copy a killed run left behind, each get a
record with `"reconciled": true`.

A run that fails before commit leaves `chipcast.duckdb`, `exports/` and `latest` byte-identical.

`RunPaths(out_dir, run_id)` names every file of a run from those two plain values, so a flow
task given only them can open the run's private copy (`connect()`); `Publication` is the
transaction the parent flow holds (lock, copy, commit or discard), and `open_publication(run_id)`
finds it again in the same process, so the commit task takes plain values too.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow.parquet as pq

from chipcast.errors import ChipcastError, EnvironmentProblem, WarehouseLocked, interrupted
from chipcast.store import warehouse
from chipcast.store.lock import LOCK_NAME, WarehouseLock
from chipcast.store.runslog import RUNS_LOG, append_runs_log, read_runs_log, record_locked

_OPEN: dict[str, Publication] = {}  # the publications this process holds, by run id
EXPORTS = "exports"
LATEST = "latest"
REPORTS = "report"
MANIFEST = "manifest.json"
VALIDATION = "validation"


class UnreadableWarehouse(EnvironmentProblem):
    """The published DuckDB file exists but cannot be opened (damaged or not DuckDB): exit 4."""


def new_run_id(now: datetime | None = None) -> str:
    """A new run id: UTC time to the millisecond + 6 random hex digits, e.g.
    `20240131T235959123Z-1a2b3c`. Ids sort by start time; the suffix keeps them unique."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"
    return f"{stamp}-{secrets.token_hex(3)}"


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


def reconcile_runs_log(out_dir: Path, con: duckdb.DuckDBPyConnection | None,
                       stale_run_ids: list[str]) -> list[str]:
    """Add the runs.log records a killed run could not write (call under the lock): every
    published run of the warehouse `con` (the run's private copy) missing from the log, and
    every run whose private files `stale_run_ids` were left behind. Returns the ids added."""
    logged = {(r.get("run_id"), r.get("status")) for r in read_runs_log(out_dir)}
    logged_ids = {run_id for run_id, _ in logged}
    added = []
    now = datetime.now(UTC).isoformat()
    if con is not None:
        try:
            rows = con.execute(warehouse.sql("warehouse/published_runs")).fetchall()
        except duckdb.CatalogException:  # a file without the runs table: nothing to reconcile
            rows = []
        for run_id, scenarios, started, finished, seed, draws in rows:
            if (run_id, "published") in logged:
                continue
            append_runs_log(out_dir, {
                "run_id": run_id, "status": "published", "reconciled": True,
                "reconciled_at": now, "scenarios": list(scenarios or []),
                "started_at": started, "finished_at": finished, "seed": seed, "draws": draws,
                "note": "published, then killed before writing its runs.log record"})
            added.append(run_id)
    for run_id in sorted(set(stale_run_ids) - logged_ids - set(added)):
        append_runs_log(out_dir, {
            "run_id": run_id, "status": "failed", "reconciled": True, "reconciled_at": now,
            "error": "killed before publishing (its private files were left behind and "
                     "have been removed)"})
        added.append(run_id)
    return added


def latest_run_id(out_dir: Path) -> str | None:
    """The run id `exports/latest` names (the symlink's target; a text file holding the id in
    folders published before it became a symlink), or None."""
    path = Path(out_dir) / EXPORTS / LATEST
    if path.is_symlink():
        return Path(os.readlink(path)).name
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, run_id: str, files: list[Path]) -> Path:
    """<folder>/manifest.json: the run id and, per Parquet file, its name, rows and sha256."""
    entries = [{"file": f.name, "rows": pq.read_metadata(f).num_rows, "sha256": _sha256(f)}
               for f in sorted(files)]
    doc = {"run_id": run_id, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "files": entries}
    path = Path(folder) / MANIFEST
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    return path


def point_latest(out_dir: Path, run_id: str) -> None:
    """Make exports/latest a symlink to exports/<run_id> in one atomic rename (a reader sees the
    old folder or the new one, never a missing or half-written one)."""
    exports = Path(out_dir) / EXPORTS
    exports.mkdir(parents=True, exist_ok=True)
    tmp = exports / f".{LATEST}-{run_id}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_id, target_is_directory=True)  # relative: the folder can move
    latest = exports / LATEST
    if latest.is_dir() and not latest.is_symlink():
        # A real folder (the tree was copied with links followed): rename cannot replace it,
        # so move it aside first; readers miss `latest` only between these two renames.
        aside = exports / f".{LATEST}-old-{run_id}"
        os.replace(latest, aside)
        os.replace(tmp, latest)
        shutil.rmtree(aside, ignore_errors=True)
        return
    os.replace(tmp, latest)



@dataclass(frozen=True)
class RunPaths:
    """Every file of one run, named from the output folder and the run id alone."""

    out_dir: Path
    run_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))

    @property
    def published(self) -> Path:
        return self.out_dir / warehouse.DB_NAME

    @property
    def work(self) -> Path:
        return self.out_dir / f".work-{self.run_id}.duckdb"

    @property
    def staged(self) -> Path:
        return self.out_dir / f".publish-{self.run_id}.duckdb"

    @property
    def exports_tmp(self) -> Path:
        return self.out_dir / EXPORTS / f".tmp-{self.run_id}"

    @property
    def exports_dir(self) -> Path:
        return self.out_dir / EXPORTS / self.run_id

    @property
    def report_tmp(self) -> Path:
        return self.out_dir / REPORTS / f".tmp-{self.run_id}.html"

    @property
    def report(self) -> Path:
        return self.out_dir / REPORTS / f"{self.run_id}.html"

    @property
    def validation(self) -> Path:
        return self.out_dir / VALIDATION / self.run_id

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the run's private copy, closed on leaving the block (DuckDB allows
        one writer per file: open it where it is used, never keep it across tasks)."""
        if not self.work.exists():
            raise RuntimeError(f"run {self.run_id} has no private copy at {self.work}: "
                               "is its publication open?")
        con = duckdb.connect(str(self.work), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def export(self) -> list[Path]:
        """Write this run's Parquet exports and their manifest.json into a private folder
        (moved into place on commit). Returns the Parquet files."""
        with self.connect(read_only=True) as con:
            files = warehouse.export_parquet(con, self.run_id, self.exports_tmp)
        write_manifest(self.exports_tmp, self.run_id, files)
        return files


class Publication:
    """One run's transaction on the published outputs (use as a context manager).

    Entering takes the lock and makes the private copy; `paths.connect()` opens it. Call
    `commit()` after every check has passed; leaving the block without a commit (or with an
    exception) discards everything and records the failure in runs.log.
    """

    def __init__(
        self,
        out_dir: Path,
        run_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
        storage_version: str = warehouse.PINNED_STORAGE_VERSION,
        wait: float = 0.0,
    ):
        """`wait`: seconds to wait for another run's lock (then WarehouseLocked)."""
        self.paths = RunPaths(Path(out_dir), run_id or new_run_id())
        self.out_dir = self.paths.out_dir
        self.run_id = self.paths.run_id
        self.meta = dict(meta or {})
        self.storage_version = storage_version
        self.started_at = datetime.now(UTC)
        self.committed = False
        self._lock = WarehouseLock(self.out_dir, wait=wait)

    # Paths of the run, for callers that hold the Publication.
    published = property(lambda self: self.paths.published)
    exports_dir = property(lambda self: self.paths.exports_dir)
    report = property(lambda self: self.paths.report)

    def __enter__(self) -> Publication:
        try:
            self._lock.acquire()
        except WarehouseLocked as exc:
            record_locked(self.out_dir, exc, {**self.meta, "started_at":
                                              self.started_at.isoformat()})
            raise
        try:
            stale = self._remove_stale()
            if self.paths.published.exists():
                shutil.copyfile(self.paths.published, self.paths.work)
            try:
                con = duckdb.connect(str(self.paths.work))
            except duckdb.Error as exc:
                raise UnreadableWarehouse(
                    f"the published warehouse {self.paths.published} cannot be opened "
                    f"({' '.join(str(exc).split())[:200]}); move it away (or delete it) and run "
                    "again: nothing was changed") from None
            try:
                reconcile_runs_log(self.out_dir, con if self.paths.published.exists() else None,
                                   stale)
                warehouse.create_schema(con)
            finally:
                con.close()
        except BaseException as exc:
            self._cleanup()
            try:
                append_runs_log(self.out_dir, {**self._record(), "status": "failed",
                                               "error": _describe(exc)})
            finally:
                self._lock.release()
            raise
        _OPEN[self.run_id] = self
        return self

    def commit(self) -> Path:
        """Swap the private copy, exports and report into place. Returns the published file.

        The run's own new names (exports/<run_id>/, report/<run_id>.html) go first; replacing
        chipcast.duckdb is the commit point; the `latest` pointers follow. Until the commit
        point a failure removes this run's names again (see _cleanup)."""
        p = self.paths
        write_pinned(p.work, p.staged, self.storage_version)
        if p.exports_tmp.exists():
            os.replace(p.exports_tmp, p.exports_dir)
        if p.report_tmp.exists():
            os.replace(p.report_tmp, p.report)
        os.replace(p.staged, p.published)
        self.committed = True
        if p.report.exists():
            latest_tmp = p.report.with_name(f".{LATEST}-{self.run_id}.html")
            shutil.copyfile(p.report, latest_tmp)
            os.replace(latest_tmp, self.out_dir / REPORTS / f"{LATEST}.html")
        if p.exports_dir.exists():
            point_latest(self.out_dir, self.run_id)
        _fsync_dir(self.out_dir)
        return p.published

    def _record(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            **self.meta,
        }

    def _remove_stale(self) -> list[str]:
        """Private files of runs that crashed: nobody else can own them while we hold the lock.
        Returns the run ids whose private copy was left behind (killed runs)."""
        stale = sorted(p.name[len(".work-"):-len(".duckdb")]
                       for p in self.out_dir.glob(".work-*.duckdb"))
        for pattern in (".work-*.duckdb", ".work-*.duckdb.wal", ".publish-*.duckdb"):
            for path in self.out_dir.glob(pattern):
                path.unlink(missing_ok=True)
        for path in [*(self.out_dir / EXPORTS).glob(".tmp-*"),
                     *self.out_dir.glob(".handoff-*")]:  # Dask results of a crashed run
            shutil.rmtree(path, ignore_errors=True)
        for path in (self.out_dir / EXPORTS).glob(f".{LATEST}-*"):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        for path in (self.out_dir / REPORTS).glob(".*.html"):
            path.unlink(missing_ok=True)
        return stale

    def _cleanup(self) -> None:
        p = self.paths
        for path in (p.work, Path(f"{p.work}.wal"), p.staged, p.report_tmp):
            path.unlink(missing_ok=True)
        shutil.rmtree(p.exports_tmp, ignore_errors=True)
        if not self.committed:  # moved into place, but the database swap never happened
            shutil.rmtree(p.exports_dir, ignore_errors=True)
            p.report.unlink(missing_ok=True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            record = self._record()
            if self.committed:
                record.update(status="published", database=str(self.paths.published),
                              exports=str(self.paths.exports_dir))
            elif exc is not None and (not isinstance(exc, Exception) or interrupted()):
                # KeyboardInterrupt (Ctrl-C, or SIGTERM via chipcast.cli.interrupt), Prefect's
                # TerminationSignal (SIGTERM during a flow), SystemExit: stopped, not failed
                record.update(status="interrupted",
                              error=f"interrupted ({type(exc).__name__}: {exc})")
            else:
                record.update(status="failed", error=_describe(exc))
                problems = getattr(exc, "problems", None)
                if problems:
                    record["problems"] = [str(p) for p in problems]
            append_runs_log(self.out_dir, record)
        finally:
            _OPEN.pop(self.run_id, None)
            self._cleanup()
            self._lock.release()


def abandon_open_publications(why: str) -> None:
    """Remove the private files of every publication this process holds and record them as
    interrupted (a process about to end at once, chipcast.cli.interrupt). Nothing published is
    touched; the lock goes with the process."""
    for pub in list(_OPEN.values()):
        try:
            pub._cleanup()
            if not pub.committed:
                append_runs_log(pub.out_dir, {**pub._record(), "status": "interrupted",
                                              "error": f"interrupted ({why})"})
        except OSError:
            continue


def open_publication(run_id: str) -> Publication:
    """The Publication of run_id this process holds open (RuntimeError if none)."""
    try:
        return _OPEN[run_id]
    except KeyError:
        raise RuntimeError(f"run {run_id} has no open publication in this process") from None


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "the run ended before publishing"
    if isinstance(exc, ChipcastError):
        return f"{type(exc).__name__}: {exc}"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


__all__ = ["LOCK_NAME", "MANIFEST", "RUNS_LOG", "Publication", "RunPaths", "UnreadableWarehouse",
           "abandon_open_publications", "append_runs_log", "reconcile_runs_log",
           "record_locked", "latest_run_id", "new_run_id", "open_publication", "point_latest",
           "read_runs_log", "write_manifest", "write_pinned"]
