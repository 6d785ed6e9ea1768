"""The DuckDB warehouse: schema, staging, forecast tables, marts, Parquet exports and
`chipcast query`.

Every statement lives in a file under sql/ (read with `sql(name)`); values are bound as
parameters and frames enter through DuckDB relations, never through SQL text. Functions take a
connection: opening, copying and publishing the file is `chipcast.publish`'s job.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from chipcast import __version__
from chipcast.paths import FORECASTS_DIR, ROOT, SQL_DIR

if TYPE_CHECKING:
    from chipcast.config import RunConfig
    from chipcast.inputs import Inputs

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


@cache
def sql(name: str) -> str:
    """The text of sql/<name>.sql, e.g. `sql("marts/mart_bands")`: one statement per file."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file outside sql/: {name}")
    return path.read_text(encoding="utf-8")


def staging_tables() -> tuple[str, ...]:
    """Names of the staging tables (`stg_<input table>`), one per file in sql/staging/."""
    return tuple(sorted(p.stem for p in (SQL_DIR / "staging").glob("stg_*.sql")))


def writable_tables() -> frozenset[str]:
    return frozenset(SCHEMA_TABLES) | frozenset(staging_tables())


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent: existing tables and their rows are kept)."""
    for table in SCHEMA_TABLES:
        con.execute(sql(f"schema/{table}"))
    for table in staging_tables():
        con.execute(sql(f"staging/{table}"))


def create_marts(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the BI views. They select the latest published run, so they need no update
    when runs are added; recreating them each run rolls out changed definitions."""
    for view in MARTS:
        con.execute(sql(f"marts/{view}"))


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
    """chipcast's version plus the git commit of the source tree (and '+dirty'), if known."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
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
        if table not in known:  # a table added to inputs before sql/staging knows it
            raise ValueError(f"no sql/staging/{table}.sql for input table {name}")
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


# --- chipcast query ----------------------------------------------------------------------------


def _format_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"
    return str(value)


def format_table(columns: list[str], rows: Iterable[tuple[Any, ...]], limit: int = 200) -> str:
    """A plain text table: header, rule, rows (at most `limit`, then a count of the rest)."""
    rows = list(rows)
    shown = [[_format_cell(v) for v in row] for row in rows[:limit]]
    widths = [len(c) for c in columns]
    for row in shown:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in shown:
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    more = len(rows) - len(shown)
    lines.append(f"({len(rows)} rows" + (f", {more} not shown: use --format csv)" if more else ")"))
    return "\n".join(lines)


def connect_published(out_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse file. External access is off, so a
    query can read the warehouse but neither read nor write other files (COPY ... TO, read_csv)."""
    path = Path(out_dir or FORECASTS_DIR) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(path)
    return duckdb.connect(
        str(path), read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )


def cmd_query(args: argparse.Namespace) -> int:
    """`chipcast query SQL`: run SQL read-only on the published file and print the result.
    Exit 0 ok, 1 no published file, 2 SQL error."""
    out_dir = Path(args.out_dir) if getattr(args, "out_dir", None) else FORECASTS_DIR
    try:
        con = connect_published(out_dir)
    except FileNotFoundError:
        print(f"no published warehouse at {out_dir / DB_NAME}: run `make run` "
              "(or `chipcast run`) first", file=sys.stderr)
        return 1
    try:
        try:
            # The user's SQL runs as given: the connection is read-only with external access
            # off, so it can neither change the warehouse nor touch other files.
            rel = con.execute(args.sql)
        except duckdb.Error as exc:
            print(f"SQL error: {exc}", file=sys.stderr)
            return 2
        if rel.description is None:
            print("(statement returned no rows)")
            return 0
        columns = [d[0] for d in rel.description]
        rows = rel.fetchall()
    finally:
        con.close()
    fmt = getattr(args, "format", "table")
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        print(json.dumps(records, default=str, indent=1))
    else:
        print(format_table(columns, rows))
    return 0
