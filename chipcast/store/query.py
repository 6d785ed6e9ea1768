"""Read-only access to the published warehouse: for `chipcast query`, the CLI's sensitivity
table and anything else that reads what a run published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from chipcast.store.sql import sql
from chipcast.store.warehouse import DB_NAME


def connect_published(out_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse file. External access is off, so a
    query can read the warehouse but neither read nor write other files (COPY ... TO, read_csv).
    FileNotFoundError when nothing is published yet."""
    path = Path(out_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(path)
    return duckdb.connect(
        str(path), read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )


def run_query(out_dir: Path, text: str) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    """Run SQL read-only on the published file: (columns, rows), or None for a statement that
    returns no rows. FileNotFoundError when nothing is published; duckdb.Error on bad SQL."""
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
