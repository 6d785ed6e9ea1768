"""What a published run's summary shows (the Prefect UI's artifacts): its headline numbers,
its data-check results and, where the warehouse has a back-test table, its back-test rows.
Read-only queries on one run (sql/artifacts/, and the report's check counts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from chipcast.store.warehouse import sql, table_columns


@dataclass(frozen=True)
class RunDigest:
    """One run's summary rows. headlines: scenario x headline (unit, deterministic, p10, p50,
    p90; the quantiles None without Monte Carlo); checks: suite (expectations, passed, failed);
    backtest: the back-test table's rows of the run, None when there is no such table."""

    run_id: str
    headlines: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    backtest: list[dict[str, Any]] | None = None


def _rows(con: duckdb.DuckDBPyConnection, name: str, run_id: str) -> list[dict[str, Any]]:
    rel = con.execute(sql(name), {"run_id": run_id})
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def run_digest(con: duckdb.DuckDBPyConnection, run_id: str) -> RunDigest:
    """The summary rows of run_id in the warehouse `con` is connected to."""
    backtest = None
    if "run_id" in table_columns(con, "backtest"):
        backtest = _rows(con, "artifacts/backtest", run_id)
    return RunDigest(run_id, _rows(con, "artifacts/headlines", run_id),
                     _rows(con, "report/validation_suites", run_id), backtest)
