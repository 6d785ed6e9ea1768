"""Read-only access to the published warehouse for the dashboard, reconnecting on publish.

A publish replaces `chipcast.duckdb` with `os.replace`; a connection opened before keeps
reading the old file. `ServingFile` remembers the file's identity (inode, modification time,
size) and opens a new read-only connection when it changes, so every query after a publish
sees the new run. Queries are the files under sql/dashboard/ (values bound as parameters).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from chipcast.store.sql import sql
from chipcast.store.warehouse import DB_NAME


class ServingFile:
    """The published warehouse of an output folder, opened read-only on demand."""

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / DB_NAME
        self._con: duckdb.DuckDBPyConnection | None = None
        self._identity: tuple[int, int, int] | None = None
        self._lock = threading.Lock()  # Streamlit runs sessions in threads
        self.reconnects = 0

    def identity(self) -> tuple[int, int, int] | None:
        """(inode, mtime in ns, size) of the file, or None if there is none."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    @property
    def exists(self) -> bool:
        return self.identity() is not None

    def _connection(self) -> duckdb.DuckDBPyConnection:
        ident = self.identity()
        if ident is None:
            self.close()
            raise FileNotFoundError(self.path)
        if self._con is None or ident != self._identity:
            self.close()
            self._con = duckdb.connect(
                str(self.path), read_only=True,
                config={"enable_external_access": False})
            self._identity = ident
            self.reconnects += 1
        return self._con

    def query(self, query: str, **params: Any) -> pl.DataFrame:
        """Run sql/dashboard/<query>.sql with `params` bound; a polars frame."""
        with self._lock:
            con = self._connection()
            cur = con.cursor()  # one cursor per query: sessions may overlap
            try:
                return cur.sql(sql(f"dashboard/{query}"), params=params).pl()
            finally:
                cur.close()

    def has_view(self, name: str) -> bool:
        return bool(self.query("has_view", name=name)["present"][0])

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
            self._identity = None


SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "M"), (1e3, "k"))


def number(value: Any) -> str:
    """A headline as the dashboard's cards show it: 4 significant digits with a k/M/bn/tn
    suffix (e.g. '195.3 k', '10.37 M'), so it fits a card; '-' for none."""
    if value is None:
        return "-"
    v = float(value)
    for scale, suffix in SCALES:
        if abs(v) >= scale:
            return f"{v / scale:.4g} {suffix}"
    return f"{v:.4g}"
