"""Retention: drop old runs from the published warehouse and their files from forecasts/.

`prune(out_dir, keep)` keeps the `keep` newest published runs plus every run a BI view shows
(mart_vintages), so the published marts are unchanged by a prune; it drops the other runs' rows
from every table and removes their `exports/<run_id>/`, `report/<run_id>.html` and
`validation/<run_id>/`, and the files of runs that never published (a failed run's check
results). The warehouse is rewritten compactly (DuckDB does not shrink a file on DELETE) and
swapped in with `os.replace`, under the writer lock, like a publication. Views that list every
run (mart_runs, mart_validation, forecast_series) lose the dropped runs' rows.

The setting `CHIPCAST_KEEP_RUNS` (a positive integer; unset = keep all) is applied by the
pipeline after each publish.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from chipcast.errors import UsageError
from chipcast.store import warehouse
from chipcast.store.lock import WarehouseLock
from chipcast.store.publish import EXPORTS, LATEST, REPORTS, VALIDATION, write_pinned
from chipcast.store.sql import sql

KEEP_ENV = "CHIPCAST_KEEP_RUNS"
RUN_ID = re.compile(r"\d{8}T\d{9}Z-[0-9a-f]{6}")


@dataclass(frozen=True)
class PruneResult:
    """What a prune did: runs kept and dropped, and the warehouse size before and after
    (bytes)."""

    kept: tuple[str, ...]
    dropped: tuple[str, ...]
    files_removed: tuple[str, ...] = ()
    bytes_before: int = 0
    bytes_after: int = 0
    rewritten: bool = False
    notes: list[str] = field(default_factory=list)


def keep_setting(env: Mapping[str, str] | None = None) -> int | None:
    """How many published runs to keep after each publish (CHIPCAST_KEEP_RUNS), None = all."""
    raw = (os.environ if env is None else env).get(KEEP_ENV, "").strip()
    if not raw:
        return None
    try:
        keep = int(raw)
    except ValueError:
        keep = 0
    if keep < 1:
        raise UsageError(f"{KEEP_ENV} must be a positive integer (runs to keep), got {raw!r}")
    return keep


def run_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The warehouse tables keyed by run_id (schema and staging tables)."""
    return [t for t in (*warehouse.SCHEMA_TABLES, *warehouse.staging_tables())
            if "run_id" in warehouse.table_columns(con, t)]


def runs_to_keep(con: duckdb.DuckDBPyConnection, keep: int) -> tuple[list[str], list[str]]:
    """(kept, dropped) run ids of a warehouse: the `keep` newest published runs and every run a
    view shows are kept; every other run in `runs` is dropped."""
    rows = con.execute(sql("warehouse/prune_candidates"), {"keep": keep}).fetchall()
    kept = sorted(r for r, k in rows if k)
    dropped = sorted(r for r, k in rows if not k)
    return kept, dropped


def _sidecars(out_dir: Path, keep: set[str]) -> list[Path]:
    """Files and folders named by a run id that is not kept (exports, reports, check results)."""
    found: list[Path] = []
    for folder, suffix in ((EXPORTS, ""), (REPORTS, ".html"), (VALIDATION, "")):
        base = out_dir / folder
        if not base.is_dir():
            continue
        for path in base.iterdir():
            name = path.name.removesuffix(suffix) if suffix else path.name
            if path.name != LATEST and RUN_ID.fullmatch(name) and name not in keep:
                found.append(path)
    return sorted(found)


def prune(out_dir: Path, keep: int, wait: float = 0.0, locked: bool = False) -> PruneResult:
    """Drop every run but the `keep` newest published ones and those the views show (module
    docstring). `locked`: the caller already holds the writer lock (the pipeline, right after
    its publish). Raises UsageError for keep < 1, WarehouseLocked if another run writes."""
    if keep < 1:
        raise UsageError(f"--keep must be at least 1, got {keep}")
    out_dir = Path(out_dir)
    lock = WarehouseLock(out_dir, wait=wait)
    if not locked:
        lock.acquire()
    try:
        return _prune(out_dir, keep)
    finally:
        lock.release()


def _prune(out_dir: Path, keep: int) -> PruneResult:
    published = out_dir / warehouse.DB_NAME
    if not published.exists():
        removed = _sidecars(out_dir, set())
        _remove(removed)
        return PruneResult((), (), tuple(str(p.relative_to(out_dir)) for p in removed))
    before = published.stat().st_size
    work = out_dir / f".prune-{secrets.token_hex(4)}.duckdb"
    staged = work.with_name(work.stem + "-pinned.duckdb")
    try:
        shutil.copyfile(published, work)
        con = duckdb.connect(str(work))
        try:
            warehouse.create_schema(con)
            warehouse.create_marts(con)  # mart_vintages must exist to know what is shown
            kept, dropped = runs_to_keep(con, keep)
            if dropped:
                for table in run_tables(con):
                    con.execute(sql("warehouse/prune_table").replace(
                        "{table}", warehouse.quote_ident(table)), {"keep": kept})
        finally:
            con.close()
        if dropped:
            write_pinned(work, staged, warehouse.PINNED_STORAGE_VERSION)
            os.replace(staged, published)
    finally:
        for path in (work, Path(f"{work}.wal"), staged):
            path.unlink(missing_ok=True)
    removed = _sidecars(out_dir, set(kept))
    _remove(removed)
    return PruneResult(tuple(kept), tuple(dropped),
                       tuple(str(p.relative_to(out_dir)) for p in removed), before,
                       published.stat().st_size, bool(dropped))


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
