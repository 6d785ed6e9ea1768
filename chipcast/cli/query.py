"""`chipcast query SQL`: read-only SQL on the published warehouse."""

from __future__ import annotations

import csv
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from chipcast.cli.format import console, table
from chipcast.cli.options import ProjectOption, folders
from chipcast.errors import EXIT_DATA, EXIT_USAGE, ChipcastError, environment_problem

SHOWN_ROWS = 200  # rows a terminal table shows; --format csv|json print all fetched
DEFAULT_LIMIT = 1_000  # as chipcast.store.query (not imported: it loads DuckDB)
DEFAULT_TIMEOUT = 60.0


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command(name="query")(query_command)


def query_command(
    sql: Annotated[str, typer.Argument(help="a SELECT statement")],
    out_dir: Annotated[Path | None, typer.Option(help="outputs folder (default: the project's "
                                                      "forecasts/)")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", help="output format")] = Format.table,
    limit: Annotated[int, typer.Option(min=1, help="fetch at most this many rows (the rest "
                                       "is counted, not kept)")] = DEFAULT_LIMIT,
    timeout: Annotated[float, typer.Option(min=0.001, help="stop the query after this many "
                                           "seconds (exit 1)")] = DEFAULT_TIMEOUT,
    project: ProjectOption = None,
) -> None:
    """Run read-only SQL on the published warehouse. Exit 0 ok, 1 nothing published or the
    query ran past --timeout, 2 SQL error or empty SQL, 3 the file is held open for writing by
    another program, 4 the file is damaged or unreadable. Every error is one line on stderr."""
    if not sql.strip().strip(";").strip():  # before DuckDB loads: a usage error, at once
        print("error: the SQL is empty: give a statement, e.g. chipcast query "
              "'SELECT * FROM mart_scenario_comparison'", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)
    import duckdb  # imported here: the CLI's start-up stays light

    from chipcast.store.query import first_line, run_query

    folder = folders(project, out_dir=out_dir, need=("out",))[2]
    try:
        result = run_query(folder, sql, limit=limit, timeout=timeout)
    except FileNotFoundError:
        print(f"no published warehouse at {folder / 'chipcast.duckdb'}: run `make run` "
              "(or `chipcast run`) first", file=sys.stderr)
        raise typer.Exit(EXIT_DATA) from None
    except ChipcastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    except duckdb.Error as exc:
        print(f"SQL error: {first_line(exc)}", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE) from None
    except (OSError, ValueError, TypeError) as exc:  # e.g. a value Python cannot represent
        known = environment_problem(exc)  # a full disk or no permission: the machine's, exit 4
        print(f"error: {known or f'{type(exc).__name__}: {first_line(exc)}'}", file=sys.stderr)
        raise typer.Exit(known.exit_code if known else EXIT_DATA) from None
    if result is None:
        print("(statement returned no rows)")
        return
    try:
        _print(result.columns, result.rows, fmt)
    except BrokenPipeError:  # `chipcast query ... | head`: the reader left; not an error
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
        return
    if result.cut:
        more = f"{result.cut:,}" if result.cut_exact else f"more than {result.cut:,}"
        print(f"note: {more} rows past --limit {limit:,} were not fetched (raise --limit, or "
              "add WHERE/LIMIT to the SQL)", file=sys.stderr)


def _print(columns: list[str], rows: list[tuple], fmt: Format) -> None:
    if fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt is Format.json:
        print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str,
                         indent=1))
    else:
        out = console()
        out.print(table(columns, rows[:SHOWN_ROWS]))
        more = len(rows) - SHOWN_ROWS
        out.print(f"({len(rows):,} rows" + (f", {more:,} not shown: use --format csv)"
                                           if more > 0 else ")"))
