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
from chipcast.contracts import HEADLINES, META_COLUMNS, QUANTILE_NAMES, TABLES, TableSpec
from chipcast.contracts.inputs import DATE, INTEGER, MONTH, NUMBER, TEXT_LIST
from chipcast.contracts.marts import INTERVALS, MARTS, PRIOR, MartSpec
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
    "backtest",
    "run_contents",
    "view_needs",
    "headline_catalogue",
)
# Views in dependency order (a view binds to what exists when it is created); each is declared
# in chipcast.contracts.marts (grain, vintage, columns), whose comments they carry.
VIEWS = (
    "latest_runs",
    "mart_vintages",
    "forecast_series",
    "mart_forecast",
    "mart_headlines",
    "mart_demand_monthly",
    "mart_demand_total",
    "mart_scenario_comparison",
    "mart_bands",
    "mart_sensitivity",
    "mart_backtest",
    "mart_skus",
    "mart_export_regimes",
    "mart_runs",
    "mart_validation",
)


_SQL_TYPES = {NUMBER: "DOUBLE", INTEGER: "BIGINT", DATE: "DATE", MONTH: "DATE",
              TEXT_LIST: "VARCHAR[]"}


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


def upgrades() -> tuple[str, ...]:
    """The column additions of sql/upgrade/ (each `ADD COLUMN IF NOT EXISTS`), in name order."""
    return tuple(sorted(f"upgrade/{p.stem}" for p in (SQL_DIR / "upgrade").glob("*.sql")))


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table (idempotent: existing tables and their rows are kept) and add the
    columns a file written by an older chipcast lacks (sql/upgrade/)."""
    for table in SCHEMA_TABLES:
        con.execute(sql(f"schema/{table}"))
    for name in upgrades():
        con.execute(sql(name))
    for spec in TABLES.values():
        con.execute(staging_ddl(spec))


def _quantile(q: float) -> str:
    """The filter of one quantile level: matched to 1e-9 (the producer's float is not exact)."""
    return f"abs(quantile - {q!r}) < 1e-9"


def mart_sql(view: str) -> str:
    """The CREATE VIEW of a mart, with the parts generated from chipcast.contracts filled in:
    the ORDER BY (the view's key), one column per headline or quantile level and the interval
    aliases (identifiers and numbers from the registry only, never user data)."""
    text = sql(f"marts/{view}")
    names = QUANTILE_NAMES
    parts = {
        "{order_by}": MARTS[view].order_by,
        "{headline_columns}": ",\n".join(
            f"    max(p.point) FILTER (WHERE p.headline = '{name}') AS {name},\n"
            f"    max(p.deterministic) FILTER (WHERE p.headline = '{name}') AS "
            f"{name}_deterministic"
            for name in HEADLINES),
        "{quantile_columns}": ",\n".join(
            f"           max(value) FILTER (WHERE {_quantile(q)}) AS {n}"
            for q, n in names.items()),
        "{quantile_select}": ",\n".join(f"    m.{n}" for n in names.values()),
        "{quantile_names}": ", ".join(f"s.{n}" for n in names.values()),
        "{interval_select}": ",\n".join(
            f'    m.{names[q]} AS "{side}-{level}"'
            for level, pair in sorted(INTERVALS.items(), reverse=True)
            for side, q in zip(("lo", "hi"), pair, strict=True)),
    }
    for placeholder, value in parts.items():
        text = text.replace(placeholder, value)
    return text


def _literal(text: str) -> str:
    """A SQL string literal of registry text (DuckDB's COMMENT ON takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """A double-quoted SQL identifier (a registry or warehouse name, never user data)."""
    return '"' + name.replace('"', '""') + '"'


def comment_statements(spec: MartSpec) -> list[str]:
    """COMMENT ON statements of one view and each of its columns, from the registry."""
    out = [sql("warehouse/comment_view").replace("{view}", spec.name)
           .replace("{comment}", _literal(spec.comment))]
    for col in spec.columns:
        out.append(sql("warehouse/comment_column").replace("{view}", spec.name)
                   .replace("{column}", quote_ident(col.name)).replace("{comment}",
                                                                   _literal(col.comment)))
    return out


def write_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    """Rewrite view_needs and headline_catalogue from the registry (values bound)."""
    con.execute(sql("warehouse/clear_view_needs"))
    needs = [(view, table) for view, spec in MARTS.items() for table in spec.needs]
    append_frame(con, "view_needs", pl.DataFrame(needs, schema=["view_name", "table_name"],
                                                 orient="row"))
    con.execute(sql("warehouse/clear_headline_catalogue"))
    append_frame(con, "headline_catalogue", pl.DataFrame(
        [(h.name, h.label, h.unit, h.window, h.definition) for h in HEADLINES.values()],
        schema=["headline", "label", "unit", "window", "definition"], orient="row"))


def create_marts(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the BI views with their comments. They pick their runs through run_contents
    and mart_vintages, so they need no update when runs are added; recreating them each run
    rolls out changed definitions. Raises RuntimeError if a view's columns differ from the
    registry's (a programming error)."""
    write_catalogue(con)
    con.execute(sql("warehouse/record_contents"))  # runs published before run_contents existed
    for view in VIEWS:
        con.execute(mart_sql(view))
        spec = MARTS[view]
        got = view_columns(con, view)
        if got != [c.name for c in spec.columns]:
            raise RuntimeError(f"view {view} has columns {got}, chipcast.contracts.marts "
                               f"declares {[c.name for c in spec.columns]}")
        for statement in comment_statements(spec):
            con.execute(statement)


def view_columns(con: duckdb.DuckDBPyConnection, view: str) -> list[str]:
    """Column names of a view (or table) of the current database, in order."""
    return table_columns(con, view)


def view_comments(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str | None, str | None]]:
    """{view: {None: the view's comment, column: its comment}} for every view of the file."""
    out: dict[str, dict[str | None, str | None]] = {}
    for view, column, comment, _ in con.execute(sql("warehouse/view_comments")).fetchall():
        out.setdefault(view, {})[column] = comment
    return out


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
    lacks take their DEFAULT, else NULL (a NOT NULL column then fails loudly); frame columns the
    table lacks are dropped (e.g. a reader's helper columns). Returns the rows appended."""
    if table not in writable_tables():
        raise ValueError(f"not a warehouse table: {table}")
    columns = table_columns(con, table)
    if not columns:
        raise ValueError(f"table {table} does not exist: call create_schema first")
    frame = frame.with_columns(
        [pl.lit(v).alias(k) for k, v in (constants or {}).items()]
    )
    frame = frame.select([c for c in columns if c in frame.columns])
    if frame.height == 0:
        return 0
    # By name: DuckDB casts each column to the table's type and fills the others' defaults.
    con.register("_append_frame", frame.to_arrow())
    try:
        con.execute(sql("warehouse/insert_by_name").replace("{table}", quote_ident(table)))
    finally:
        con.unregister("_append_frame")
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


def missing_tables(con: duckdb.DuckDBPyConnection, run_id: str, draws: int
                   ) -> list[tuple[str, str]]:
    """(scenario, table) pairs a run has no rows in although every run of its kind writes them
    (sql/warehouse/run_missing_tables.sql); [] when the run is complete."""
    return [tuple(r) for r in con.execute(sql("warehouse/run_missing_tables"),
                                          {"run_id": run_id, "draws": draws}).fetchall()]


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, error: str | None = None
) -> None:
    """Set the run's final status ('published' or 'failed'), end time and fingerprints; a
    published run's contents (rows per scenario and table) go to run_contents, where the views
    find it."""
    con.execute(
        sql("warehouse/run_finish"),
        {"run_id": run_id, "status": status, "finished_at": datetime.now(UTC), "error": error},
    )
    if status == "published":
        con.execute(sql("warehouse/record_contents"))


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


def _calibrated(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows without a calibration are the prior's (the column's default, also for nulls)."""
    if "calibration" in frame.columns:
        return frame.with_columns(pl.col("calibration").fill_null(PRIOR))
    return frame


def write_quantiles(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append Monte Carlo summaries (scenario, month, ..., stat, quantile, value, unit and
    optionally calibration, 'prior' when absent)."""
    return append_frame(con, "forecast_quantiles", _calibrated(frame), {"run_id": run_id})


def write_sensitivity(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append tornado and Sobol rows (chipcast.sensitivity.COLUMNS) under run_id."""
    return append_frame(con, "sensitivity", frame, {"run_id": run_id})


def write_headlines(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append headline rows (scenario, headline, stat, quantile, month, value, unit and
    optionally calibration, 'prior' when absent)."""
    return append_frame(con, "headlines", _calibrated(frame), {"run_id": run_id})


def write_backtest(con: duckdb.DuckDBPyConnection, run_id: str, frame: pl.DataFrame) -> int:
    """Append back-test rows (sql/schema/backtest.sql columns) under run_id."""
    return append_frame(con, "backtest", frame, {"run_id": run_id})


def write_validation(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> int:
    """Append expectation results (a CheckReport's results_frame(run_id))."""
    return append_frame(con, "validation_results", frame)


def export_names() -> tuple[str, ...]:
    """What a run exports to Parquet: one query per file in sql/exports/."""
    return tuple(sorted(p.stem for p in (SQL_DIR / "exports").glob("*.sql")))


# The row order of the large exports, sorted in polars instead of by an ORDER BY in their query:
# on a published run's 3.3 million forecast_quantiles rows DuckDB's sort on these keys (mostly
# strings) cost 2-3x polars' (bench/publish.py). Each tuple is its export's grain, so no two
# rows tie and any correct sort gives the same order; polars compares strings by their UTF-8
# bytes like DuckDB's default (binary) collation and puts nulls last like DuckDB's default.
# The small exports keep their ORDER BY (validation_results' keys are not unique).
EXPORT_ORDER: dict[str, tuple[str, ...]] = {
    "forecast": ("scenario", "month", "firm", "workload", "sku", "vendor", "metric"),
    "forecast_quantiles": ("scenario", "calibration", "month", "firm", "workload", "sku",
                           "vendor", "metric", "stat", "quantile"),
    "mart_bands": ("scenario", "calibration", "month", "firm", "workload", "sku", "vendor",
                   "metric"),
    "mart_demand_monthly": ("scenario", "month", "firm", "workload", "sku", "vendor", "metric"),
    "mart_demand_total": ("scenario", "month", "workload", "sku", "vendor", "metric"),
    "mart_forecast": ("scenario", "calibration", "metric", "firm", "workload", "sku", "vendor",
                      "month"),
}


def export_frame(con: duckdb.DuckDBPyConnection, run_id: str, name: str) -> pl.DataFrame:
    """The rows of export `name` (sql/exports/<name>.sql; grain and units in its header), in
    the order the Parquet file has them (EXPORT_ORDER or the query's ORDER BY)."""
    query = sql(f"exports/{name}")
    params = {"run_id": run_id} if "$run_id" in query else {}
    frame = con.sql(query, params=params).pl()
    keys = EXPORT_ORDER.get(name)
    if keys:
        # maintain_order: ties (none, the keys are the grain) would keep the query's order
        frame = frame.sort(list(keys), nulls_last=True, maintain_order=True)
    return frame


def export_parquet(con: duckdb.DuckDBPyConnection, run_id: str, folder: Path) -> list[Path]:
    """Write <folder>/<name>.parquet for each export query (this run's rows and the marts as
    published with it). Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in export_names():
        path = folder / f"{name}.parquet"
        frame = export_frame(con, run_id, name)
        frame.write_parquet(path)
        del frame  # not kept alive while the next export's query runs
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
