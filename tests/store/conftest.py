"""Fixtures of the warehouse tests."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from chipcast.store import warehouse as wh


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory warehouse with the schema created."""
    c = duckdb.connect()
    wh.create_schema(c)
    yield c
    c.close()
