"""Read-only access to the published warehouse: for `chipcast query`, the CLI's sensitivity
table and anything else that reads what a run published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from chipcast.errors import ChipcastError, WarehouseLocked
from chipcast.store.sql import sql
from chipcast.store.warehouse import DB_NAME


class WarehouseUnreadable(ChipcastError):
    """The published file exists but cannot be opened (not DuckDB, damaged, no permission)."""


def first_line(exc: BaseException) -> str:
    """An error's message on one line (DuckDB's carry a caret diagram on later lines)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def connect_published(out_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse file. External access is off, so a
    query can read the warehouse but neither read nor write other files (COPY ... TO, read_csv).
    FileNotFoundError when nothing is published yet; WarehouseLocked when another program holds
    the file open for writing; WarehouseUnreadable when it is no readable DuckDB file."""
    path = Path(out_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(path)
    try:
        return duckdb.connect(
            str(path), read_only=True,
            config={"enable_external_access": False, "lock_configuration": True},
        )
    except duckdb.Error as exc:
        text = first_line(exc)
        if "lock" in text.lower():
            raise WarehouseLocked(
                f"{path} is held open for writing by another program ({text}); close that "
                "program's connection (chipcast runs never block readers) and try again"
            ) from None
        raise WarehouseUnreadable(
            f"{path} cannot be opened ({text}); run `chipcast run` to publish it again") from None


def run_query(out_dir: Path, text: str) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Run SQL read-only on the published file: (columns, rows), or None for a statement that
    returns no rows. FileNotFoundError when nothing is published, WarehouseLocked or
    WarehouseUnreadable when the file cannot be opened (connect_published); duckdb.Error on
    bad SQL."""
    con = connect_published(out_dir)
    try:
        # The user's SQL runs as given: the connection is read-only with external access off,
        # so it can neither change the warehouse nor touch other files.
        rel = con.execute(text)
        if rel.description is None:
            return None
        return [d[0] for d in rel.description], rel.fetchall()
    finally:
        con.close()


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
