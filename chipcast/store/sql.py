"""The SQL files under sql/ (package data, chipcast.project.SQL_DIR): every statement chipcast
runs is one file, read by name."""

from __future__ import annotations

from functools import cache

from chipcast.project import SQL_DIR


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. `sql("marts/mart_bands")`: one statement per file."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file outside sql/: {name}")
    return path.read_text(encoding="utf-8")
