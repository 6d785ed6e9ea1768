"""The DuckDB warehouse: schema, staging, forecast tables, marts and Parquet exports.

Every statement lives in a file under sql/ (read with `sql(name)`); values are bound as
parameters and frames enter through DuckDB relations, never through SQL text. The staging
tables' DDL is generated from chipcast.contracts.TABLES (identifiers from the registry only).
Functions take a connection: opening, copying and publishing the file is
`chipcast.store.publish`'s job.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from chipcast import __version__
from chipcast.contracts import HEADLINES, META_COLUMNS, TABLES, TableSpec
from chipcast.contracts.inputs import DATE, INTEGER, NUMBER, TEXT_LIST
from chipcast.inputs import Inputs
from chipcast.project import PACKAGE_DIR, SQL_DIR
from chipcast.store.sql import sql

if TYPE_CHECKING:
    from chipcast.config import RunConfig

DB_NAME = "chipcast.duckdb"
# DuckDB 2.0 writes a storage format that BI tools bundling DuckDB 1.4/1.5 cannot open; the
# published file is written in the 1.4 format (header version 67), which both can read.
PINNED_STORAGE_VERSION = "v1.4.0"

SCHEMA_TABLES = (
    "runs",
    "input_files",
    "forecast",
    "forecast_quantiles",
    "validation_results",
    "sensitivity",
    "headlines",
)
# Views in dependency order (a view binds to what exists when it is created).
MARTS = (
    "latest_runs",
    "mart_demand_monthly",
    "mart_demand_total",
    "mart_scenario_comparison",
    "mart_bands",
    "mart_runs",
    "mart_validation",
)


_SQL_TYPES = {NUMBER: "DOUBLE", INTEGER: "BIGINT", DATE: "DATE", TEXT_LIST: "VARCHAR[]"}


def staging_tables() -> tuple[str, ...]:
    """Names of the staging tables, `stg_<input table>`, one per table of the registry."""
    return tuple(f"stg_{name}" for name in TABLES)


def staging_ddl(spec: TableSpec) -> str:
    """CREATE TABLE of one input table's staging table (sql/staging/create_table.sql)."""
    columns = ",\n".join(f'    "{c}" {_SQL_TYPES.get(spec.type_of(c), "VARCHAR")}'
                         for c in (*spec.all_columns, *META_COLUMNS))
    return (sql("staging/create_table").replace("{table}", f"stg_{spec.name}")
            .replace("{columns}", columns))


def writable_tables() -> frozenset[str]:
    return frozenset(SCHEMA_TABLES) | frozenset(staging_tables())


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent: existing tables and their rows are kept)."""
    for table in SCHEMA_TABLES:
        con.execute(sql(f"schema/{table}"))
    for spec in TABLES.values():
        con.execute(staging_ddl(spec))


def mart_sql(view: str) -> str:
    """The CREATE VIEW of a mart, with the columns generated from chipcast.contracts filled in
    (one column per headline: identifiers from the registry only)."""
    text = sql(f"marts/{view}")
    if "{headline_columns}" in text:
        columns = ",\n".join(
            f"    coalesce(max(h.value) FILTER (WHERE h.headline = '{name}'), 0) AS {name}"
            for name in HEADLINES)
        text = text.replace("{headline_columns}", columns)
    return text


def create_marts(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the BI views. They select the latest published run, so they need no update
    when runs are added; recreating them each run rolls out changed definitions."""
    for view in MARTS:
        con.execute(mart_sql(view))


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a table of the current database, in order."""
    return [r[0] for r in con.execute(sql("warehouse/table_columns"), {"table": table}).fetchall()]


def append_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    frame: pl.DataFrame,
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Append a polars frame to a warehouse table, matching columns by name.

    `constants` adds columns with one value for every row (e.g. run_id). Table columns the frame
    lacks are NULL (a NOT NULL column then fails loudly); frame columns the table lacks are
    dropped (e.g. a reader's helper columns). Returns the rows appended."""
    if table not in writable_tables():
        raise ValueError(f"not a warehouse table: {table}")
    columns = table_columns(con, table)
    if not columns:
        raise ValueError(f"table {table} does not exist: call create_schema first")
    frame = frame.with_columns(
        [pl.lit(v).alias(k) for k, v in (constants or {}).items()]
    )
    frame = frame.select(
        [pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in columns]
    )
    if frame.height == 0:
        return 0
    # The relation is positional in table order; DuckDB casts each column to the table's type.
    con.from_arrow(frame.to_arrow()).insert_into(table)
    return frame.height


def code_version() -> str:
    """chipcast's version plus the git commit of the source tree (and '+dirty'), if chipcast
    runs from a checkout (an installed wheel has no repository of its own)."""
    checkout = PACKAGE_DIR.parent
    if not (checkout / ".git").exists():
        return __version__
    try:
        out = subprocess.run(
            ["git", "-C", str(checkout), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return f"{__version__}+{out}" if out else __version__


def start_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    config: RunConfig,
    started_at: datetime | None = None,
) -> None:
    """Insert the run's `runs` row with status 'running'."""
    con.execute(
        sql("warehouse/run_start"),
        {
            "run_id": run_id,
            "scenarios": list(config.scenarios),
            "started_at": started_at or datetime.now(UTC),
            "config": config.to_json(),
            "seed": config.seed,
            "draws": config.draws,
            "sampler": config.sampler,
            "code_version": code_version(),
        },
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, error: str | None = None
) -> None:
    """Set the run's final status ('published' or 'failed'), end time and fingerprints."""
    con.execute(
        sql("warehouse/run_finish"),
        {"run_id": run_id, "status": status, "finished_at": datetime.now(UTC), "error": error},
    )


def stage_inputs(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    scenario: str,
    inputs: Inputs,
    loaded_at: datetime | None = None,
) -> dict[str, int]:
    """Write one scenario's typed input tables to `stg_<table>` and its files to input_files.
    Returns rows written per staging table."""
    loaded_at = loaded_at or datetime.now(UTC)
    keys = {"run_id": run_id, "scenario": scenario}
    written: dict[str, int] = {}
    known = set(staging_tables())
    for name, frame in inputs.tables().items():
        table = f"stg_{name}"
        if table not in known:  # Inputs and the registry disagree: a programming error
            raise ValueError(f"input table {name} is not in chipcast.contracts.TABLES")
        written[table] = append_frame(con, table, frame, keys)
    files = pl.DataFrame(
        {
            "path": [f.path for f in inputs.files],
            "sha256": [f.sha256 for f in inputs.files],
            "rows": [f.rows for f in inputs.files],
        },
        schema={"path": pl.Utf8, "sha256": pl.Utf8, "rows": pl.Int64},
    )
    append_frame(con, "input_files", files, {**keys, "loaded_at": loaded_at})
    return written


def write_forecast(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append a long forecast frame (architecture.md output contract) under run_id."""
    return append_frame(con, "forecast", frame, {"run_id": run_id})


def write_quantiles(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append Monte Carlo summaries (scenario, month, ..., stat, quantile, value, unit)."""
    return append_frame(con, "forecast_quantiles", frame, {"run_id": run_id})


def write_sensitivity(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append tornado and Sobol rows (chipcast.sensitivity.COLUMNS) under run_id."""
    return append_frame(con, "sensitivity", frame, {"run_id": run_id})


def write_headlines(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append headline rows (scenario, headline, stat, quantile, month, value, unit)."""
    return append_frame(con, "headlines", frame, {"run_id": run_id})


def write_validation(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Append expectation results (a CheckReport's results_frame(run_id))."""
    return append_frame(con, "validation_results", frame)


def export_names() -> tuple[str, ...]:
    """What a run exports to Parquet: one query per file in sql/exports/."""
    return tuple(sorted(p.stem for p in (SQL_DIR / "exports").glob("*.sql")))


def export_parquet(con: duckdb.DuckDBPyConnection, run_id: str, folder: Path) -> list[Path]:
    """Write <folder>/<name>.parquet for each export query (this run's rows and the marts as
    published with it). Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in export_names():
        path = folder / f"{name}.parquet"
        query = sql(f"exports/{name}")
        params = {"run_id": run_id} if "$run_id" in query else {}
        con.sql(query, params=params).pl().write_parquet(path)
        written.append(path)
    return written


def storage_version(con: duckdb.DuckDBPyConnection, database: str | None = None) -> str | None:
    """The storage format tag DuckDB reports for an attached database, e.g. 'v1.4.0+'."""
    name = database or con.execute(sql("warehouse/current_database")).fetchone()[0]
    row = con.execute(sql("warehouse/storage_version"), {"name": name}).fetchone()
    return row[0] if row else None


def header_version(path: Path) -> int:
    """The storage version number in a DuckDB file's main header (bytes 12-19 after the
    'DUCK' magic at 8): 67 for the v1.4 format, 68 for v1.5."""
    with open(path, "rb") as fh:
        head = fh.read(20)
    if head[8:12] != b"DUCK":
        raise ValueError(f"{path} is not a DuckDB database file")
    return int.from_bytes(head[12:20], "little")


def scenario_comparison(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """mart_scenario_comparison as a list of dicts (one per scenario)."""
    rel = con.execute(sql("warehouse/scenario_comparison"))
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]
