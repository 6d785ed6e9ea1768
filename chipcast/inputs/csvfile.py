"""Reading one CSV input file against its contract (chipcast.contracts.TABLES): strict, and
reporting every problem of a file at once (InputError with Problem items): non-UTF-8 bytes,
wrong delimiter, missing/unknown/duplicate columns, blank lines, ragged rows and cells that
cannot be typed. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted silently."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

import polars as pl

from chipcast.contracts import META_COLUMNS, TableSpec
from chipcast.contracts.inputs import DATE, INTEGER, MONTH, NUMBER, TEXT_LIST
from chipcast.errors import InputError, Problem
from chipcast.inputs.cells import (
    CellError,
    parse_date,
    parse_identifier,
    parse_integer,
    parse_month,
    parse_number,
)
from chipcast.inputs.files import MAX_CSV_BYTES, read_input_bytes
from chipcast.inputs.types import InputFile, schema


def decode(raw: bytes, rel: str) -> str:
    """UTF-8 text of a file (a UTF-8 BOM is dropped); InputError for anything else."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(Problem(rel, "file is UTF-16 (it starts with a UTF-16 byte-order mark)",
                                 hint="re-save as UTF-8 ('CSV UTF-8' in Excel)"))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # Excel's "CSV UTF-8" adds a BOM: harmless, so accepted
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start:exc.start + 4]
        line = raw.count(b"\n", 0, exc.start)  # header is line 0 -> data row number
        raise InputError(Problem(
            rel, f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}",
            hint="re-save as UTF-8 ('CSV UTF-8' in Excel)", row=line,
            values=[repr(bad)],
        )) from None


def _sniff_delimiter(header_line: str) -> str | None:
    for delim, name in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
        if delim in header_line and header_line.count(delim) >= 1 and "," not in header_line:
            return name
    return None


def read_table_text(text: str, spec: TableSpec, rel: str) -> pl.DataFrame:
    """Parse one CSV text against `spec`: a typed frame (plus `_file`, `_row`) or InputError.

    Grain: one row per data row of the file; `_row` is its 1-based number (header = row 0).
    """
    problems: list[Problem] = []
    if "\x00" in text:
        raise InputError(Problem(rel, "file contains NUL bytes (not a text CSV)",
                                 hint="re-save as a plain UTF-8 CSV"))
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputError(Problem(rel, f"cannot be parsed as CSV ({exc})",
                                 hint="check quoting: a field with a comma needs double quotes"
                                 )) from None
    if not records or not any(c.strip() for c in records[0]):
        raise InputError(Problem(rel, "file is empty or its first line is blank",
                                 hint="the first line must be the header: "
                                 + ",".join(spec.columns), row=0))
    header = [h.strip() for h in records[0]]
    if len(header) == 1:
        delim = _sniff_delimiter(records[0][0])
        if delim:
            raise InputError(Problem(rel, f"columns are separated by {delim}, not commas",
                                     hint="save as comma-separated CSV", row=0,
                                     values=[records[0][0][:60]]))
    dups = sorted({h for h in header if header.count(h) > 1})
    if dups:
        problems.append(Problem(rel, "duplicate column names in the header", row=0,
                                column=dups[0], values=dups,
                                hint="each column may appear once; delete or rename the copy"))
    missing = [c for c in spec.columns if c not in header]
    unknown = [h for h in header if h not in spec.all_columns]
    if missing:
        problems.append(Problem(rel, "missing required column(s)", row=0, column=missing[0],
                                values=missing, hint="the header must have: "
                                + ",".join(spec.columns)))
    if unknown:
        problems.append(Problem(rel, "unknown column(s)", row=0, column=unknown[0],
                                values=[u or "<empty name>" for u in unknown],
                                hint="remove them or fix their spelling; allowed: "
                                + ",".join(spec.all_columns)))
    if problems:
        raise InputError(problems)

    index = {h: i for i, h in enumerate(header)}
    data: dict[str, list[Any]] = {c: [] for c in (*spec.all_columns, *META_COLUMNS)}
    for rowno, rec in enumerate(records[1:], start=1):
        if not any(c.strip() for c in rec):
            problems.append(Problem(rel, "blank line", row=rowno,
                                    hint="delete the blank line (no empty rows in a table)"))
            continue
        if len(rec) != len(header):
            problems.append(Problem(
                rel, f"row has {len(rec)} fields but the header has {len(header)}", row=rowno,
                values=[",".join(rec)[:80]],
                hint="quote values that contain commas (\"a, b\") and check for missing or "
                "extra separators"))
            continue
        for col in spec.all_columns:
            cell = rec[index[col]].strip() if col in index else ""
            try:
                data[col].append(type_cell(cell, col, spec))
            except CellError as err:
                problems.append(Problem(rel, err.message, row=rowno, column=col, values=[cell],
                                        hint=err.hint))
                data[col].append(None)
        data["_file"].append(rel)
        data["_row"].append(rowno)
    if problems:
        raise InputError(problems)
    frame = pl.DataFrame(data, schema=schema(spec))
    if spec.numeric:
        frame = fill_dist(frame, spec, rel)
    return frame


def type_cell(cell: str, col: str, spec: TableSpec) -> Any:
    """The typed value of one cell of `col` (None for an empty cell); CellError if it cannot
    be typed."""
    kind = spec.type_of(col)
    if kind == TEXT_LIST:
        items = [a.strip() for a in cell.split(";") if a.strip()]
        return [parse_identifier(a) for a in items] if col in spec.identifiers else items
    if cell == "":
        return None
    if col in spec.identifiers:
        return parse_identifier(cell)
    if kind == DATE:
        return parse_date(cell)
    if kind == MONTH:
        return parse_month(cell)
    if kind == NUMBER:
        return parse_number(cell)
    if kind == INTEGER:
        return parse_integer(cell)
    if col == "dist":
        return cell.lower()
    return cell


def fill_dist(frame: pl.DataFrame, spec: TableSpec, rel: str) -> pl.DataFrame:
    """Empty dist -> fixed; fixed rows get low/mode/high = value; mode defaults to value.

    A non-fixed dist without low or high cannot be sampled: InputError naming the row.
    """
    frame = frame.with_columns(pl.col("dist").fill_null("fixed"))
    fixed = pl.col("dist") == "fixed"
    frame = frame.with_columns(
        pl.when(fixed & pl.col("low").is_null()).then(pl.col("value")).otherwise(pl.col("low"))
        .alias("low"),
        pl.when(fixed & pl.col("high").is_null()).then(pl.col("value")).otherwise(pl.col("high"))
        .alias("high"),
        pl.col("mode").fill_null(pl.col("value")),
    )
    bad = frame.filter(~fixed & (pl.col("low").is_null() | pl.col("high").is_null())
                       & pl.col("value").is_not_null())
    if bad.height:
        raise InputError([
            Problem(r["_file"], f"dist '{r['dist']}' needs both low and high", row=r["_row"],
                    column="low" if r["low"] is None else "high",
                    hint="fill low and high, or set dist to fixed")
            for r in bad.iter_rows(named=True)
        ])
    return frame


def read_table(path: Path, spec: TableSpec, rel: str, root: Path | None = None
               ) -> tuple[pl.DataFrame, InputFile]:
    """Read one CSV file: its typed frame and its InputFile record (sha256 of the raw bytes).

    `root`: the data folder the file must resolve into (chipcast.inputs.files); None for a file
    named on the command line. Only a regular file of at most MAX_CSV_BYTES is read.
    """
    try:
        raw = read_input_bytes(path, rel, root=root, limit=MAX_CSV_BYTES)
    except InputError as exc:
        if exc.problems[0].message == "file not found":
            exc.problems[0].hint = f"create it with the header: {','.join(spec.columns)}"
        raise
    text = decode(raw, rel)
    frame = read_table_text(text, spec, rel)
    return frame, InputFile(rel, hashlib.sha256(raw).hexdigest(), frame.height)
