"""Read-only access to the published warehouse: for `chipcast query`, the CLI's sensitivity
table and anything else that reads what a run published."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from chipcast.errors import (
    EXIT_DATA,
    ChipcastError,
    EnvironmentProblem,
    UsageError,
    WarehouseLocked,
)
from chipcast.store.sql import sql
from chipcast.store.warehouse import DB_NAME

DEFAULT_LIMIT = 1_000  # rows `chipcast query` fetches at most (--limit)
DEFAULT_TIMEOUT = 60.0  # s a query may run (--timeout)
QUERY_MEMORY = "1GB"  # DuckDB memory limit of a query connection (beyond it: private temp)
QUERY_TEMP_SIZE = "4GB"  # most a query may spill into its private temporary folder
COUNT_BUDGET = 5.0  # s spent counting the rows past --limit (then "more than")
COUNT_VECTORS = 64  # DuckDB vectors (2,048 rows each) per chunk while counting


class WarehouseUnreadable(EnvironmentProblem):
    """The published file exists but cannot be opened (not DuckDB, damaged, no permission):
    exit 4, the environment's problem (the file), not the query's."""


class QueryTimeout(ChipcastError):
    """The query ran longer than its time limit and was interrupted (exit 1)."""

    exit_code = EXIT_DATA


@dataclass(frozen=True)
class QueryResult:
    """What a query returned: its columns and at most `limit` rows; `cut` when it had more."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    cut: int  # rows past the limit that were not fetched (counted, not kept)
    cut_exact: bool = True  # False: counting stopped at COUNT_BUDGET, `cut` is a lower bound


def first_line(exc: BaseException) -> str:
    """An error's message on one line (DuckDB's carry a caret diagram on later lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def connect_published(out_dir: Path, temp_directory: Path | None = None,
                      ) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse file. External access is off, so a
    query can read the warehouse but neither read nor write other files (COPY ... TO, read_csv).
    DuckDB still lets a query write into its temp_directory (default `<file>.tmp/` beside the
    warehouse, i.e. inside forecasts/): `temp_directory` points it at a private folder instead
    (`private_connection`). FileNotFoundError when nothing is published yet; WarehouseLocked
    when another program holds the file open for writing; WarehouseUnreadable when it is no
    readable DuckDB file."""
    path = Path(out_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(path)
    config: dict[str, Any] = {"enable_external_access": False}
    if temp_directory is not None:
        config.update(temp_directory=str(temp_directory), memory_limit=QUERY_MEMORY,
                      max_temp_directory_size=QUERY_TEMP_SIZE)
    try:
        con = duckdb.connect(str(path), read_only=True, config=config)
    except duckdb.Error as exc:
        text = first_line(exc)
        if "lock" in text.lower():
            raise WarehouseLocked(
                f"{path} is held open for writing by another program ({text}); close that "
                "program's connection (chipcast runs never block readers) and try again"
            ) from None
        raise WarehouseUnreadable(
            f"{path} cannot be opened ({text}); run `chipcast run` to publish it again") from None
    # A session option (no connect-time config): set, then lock every option, so the user's
    # SQL can SET none of the above.
    con.execute(sql("query/no_progress_bar"))
    con.execute(sql("query/lock_configuration"))
    return con


@contextmanager
def private_connection(out_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """connect_published with a private temporary folder (removed on leaving the block)."""
    temp = Path(tempfile.mkdtemp(prefix="chipcast-query-"))
    try:
        con = connect_published(out_dir, temp_directory=temp)
        try:
            yield con
        finally:
            con.close()
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def run_query(out_dir: Path, text: str, limit: int = DEFAULT_LIMIT,
              timeout: float = DEFAULT_TIMEOUT) -> QueryResult | None:
    """Run SQL read-only on the published file and fetch at most `limit` rows (the result is
    streamed: rows past the limit are never computed, except what an ORDER BY or aggregate
    needs); None for a statement that returns no rows. After `timeout` seconds the query is
    interrupted (QueryTimeout). UsageError for empty SQL; FileNotFoundError when nothing is
    published, WarehouseLocked or WarehouseUnreadable when the file cannot be opened
    (connect_published); duckdb.Error on bad SQL."""
    if not text.strip() or not text.strip().strip(";").strip():
        raise UsageError("the SQL is empty: give a statement, e.g. chipcast query "
                         "'SELECT * FROM mart_scenario_comparison'")
    if limit < 1 or timeout <= 0:
        raise UsageError(f"--limit must be >= 1 and --timeout > 0 (got {limit}, {timeout:g})")
    with private_connection(out_dir) as con:
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            con.interrupt()

        timer = threading.Timer(timeout, stop)
        timer.daemon = True
        timer.start()
        try:
            # The user's SQL runs as given: the connection is read-only with external access
            # off, so it can neither change the warehouse nor touch other files.
            rel = con.execute(text)
            if rel is None or rel.description is None:
                return None
            rows = rel.fetchmany(limit + 1)
            cut, exact = (_count_rest(rel) if len(rows) > limit else (0, True))
        except duckdb.InterruptException:
            if timed_out.is_set():
                raise QueryTimeout(
                    f"the query ran longer than {timeout:g} s and was stopped; add a WHERE "
                    "or LIMIT, or give more time with --timeout SECONDS") from None
            raise
        finally:
            timer.cancel()
        return QueryResult([d[0] for d in rel.description], rows[:limit], cut, exact)


def _count_rest(rel: duckdb.DuckDBPyConnection) -> tuple[int, bool]:
    """(rows left in the streamed result + the one fetched past the limit, exact?), counted in
    chunks that are dropped at once (memory stays at one chunk) for at most COUNT_BUDGET s."""
    deadline = time.monotonic() + COUNT_BUDGET
    count = 1
    while time.monotonic() < deadline:
        chunk = rel.fetch_df_chunk(COUNT_VECTORS)
        if len(chunk) == 0:
            return count, True
        count += len(chunk)
    return count, False


def published_sensitivity(out_dir: Path, scenario: str) -> tuple[str, pl.DataFrame] | None:
    """(run_id, rows) of the scenario's latest published run, if it stored sensitivity rows."""
    try:
        con = connect_published(out_dir)
    except FileNotFoundError:
        return None
    try:
        rel = con.execute(sql("warehouse/latest_sensitivity"), {"scenario": scenario})
        cols = [d[0] for d in rel.description]
        rows = rel.fetchall()
    except duckdb.Error:  # an older file without the table or view: the caller computes
        return None
    finally:
        con.close()
    if not rows:
        return None
    df = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], infer_schema_length=None)
    return str(df["run_id"][0]), df
