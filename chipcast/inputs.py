"""Read data/ into typed polars frames and resolve a scenario (docs/architecture.md, Inputs).

Every frame carries two bookkeeping columns so a later check can point at the user's file:
`_file` (path relative to data_dir, e.g. `chips.csv` or `scenarios/seed-2023.yaml`) and `_row`
(1-based data row in that file, the header being row 0; for a scenario `set:` item, its 1-based
position in the `set:` list). The model ignores them.

Reading is strict and reports every problem of a file at once (InputError with Problem items):
non-UTF-8 bytes, wrong delimiter, missing/unknown/duplicate columns, blank lines, ragged rows,
Excel serial dates, thousands separators, percentages, units inside number cells, bad ISO dates,
bad YAML. A UTF-8 byte-order mark (Excel's "CSV UTF-8") is accepted silently; a UTF-16 one is not.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from chipcast.distributions import DISTS
from chipcast.errors import InputError, Problem

# --- table contracts -------------------------------------------------------------------------

NUMERIC_VALUE_COLUMNS = ("metric", "value", "unit", "dist", "low", "mode", "high", "source")
DIST_NUMBERS = ("value", "low", "mode", "high")
KNOWN_DISTS = DISTS
META_COLUMNS = ("_file", "_row")


@dataclass(frozen=True)
class TableSpec:
    """The columns of one input table and how each is typed."""

    name: str
    kind: str  # "identity" (wide) or "numeric" (long: one number per row)
    columns: tuple[str, ...]  # required, in file order
    keys: tuple[str, ...]
    optional: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    integers: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()  # ';'-separated strings -> list[str]

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.optional

    def dtype(self, column: str) -> pl.DataType:
        if column in self.dates:
            return pl.Date()
        if column in self.numbers:
            return pl.Float64()
        if column in self.integers:
            return pl.Int64()
        if column in self.lists:
            return pl.List(pl.Utf8)
        if column == "_row":
            return pl.Int64()
        return pl.Utf8()

    def schema(self) -> dict[str, pl.DataType]:
        return {c: self.dtype(c) for c in (*self.all_columns, *META_COLUMNS)}

    @property
    def param_keys(self) -> tuple[str, ...]:
        """Key columns of a numeric row (without `metric`)."""
        return self.keys


def _numeric(name: str, keys: tuple[str, ...], integers: tuple[str, ...] = ()) -> TableSpec:
    return TableSpec(
        name=name,
        kind="numeric",
        columns=keys + NUMERIC_VALUE_COLUMNS,
        keys=keys,
        optional=("note",),
        numbers=DIST_NUMBERS,
        integers=integers,
    )


TABLES: dict[str, TableSpec] = {
    "chips": TableSpec(
        "chips", "identity",
        ("sku", "family", "aliases", "vendor", "form_factor", "launch_date", "source"),
        keys=("sku",), dates=("launch_date",), lists=("aliases",),
    ),
    "chip_specs": _numeric("chip_specs", ("sku",)),
    "vendor_share": _numeric("vendor_share", ("year", "vendor"), integers=("year",)),
    "firms": TableSpec(
        "firms", "identity", ("firm", "name", "name_zh", "sector", "rationale", "source"),
        keys=("firm",),
    ),
    "model_classes": _numeric("model_classes", ("model_class",)),
    "model_releases": TableSpec(
        "model_releases", "identity", ("firm", "model", "model_class", "release_date", "source"),
        keys=("firm", "model"), dates=("release_date",),
    ),
    "usage": _numeric("usage", ("firm",)),
    "fleet": _numeric("fleet", ()),
    "compute_formulas": TableSpec(
        "compute_formulas", "identity", ("name", "expression", "unit", "source"), keys=("name",),
    ),
    "export_regimes": TableSpec(
        "export_regimes", "identity",
        ("regime", "start_date", "end_date", "sku", "mix_share", "source"),
        keys=("regime", "sku"), dates=("start_date", "end_date"), numbers=("mix_share",),
    ),
    "correlations": TableSpec(
        "correlations", "identity", ("group", "table", "metric", "rho", "source"),
        keys=("group", "table", "metric"), numbers=("rho",),
    ),
}

DEFAULT_START = date(2022, 1, 1)
DEFAULT_END = date(2030, 12, 1)
INFERENCE_MODES = ("compute", "roofline")


@dataclass(frozen=True)
class ScenarioSettings:
    """A scenario's name and run settings; start/end are first days of months (inclusive)."""

    name: str
    description: str = ""
    start: date = DEFAULT_START
    end: date = DEFAULT_END
    inference_mode: str = "compute"


@dataclass(frozen=True)
class InputFile:
    """One file read: path relative to data_dir, its sha256 and its data rows."""

    path: str
    sha256: str
    rows: int


@dataclass(frozen=True)
class Inputs:
    """All input tables of one resolved scenario, typed (see TABLES for each table's schema)."""

    chips: pl.DataFrame
    chip_specs: pl.DataFrame
    vendor_share: pl.DataFrame
    firms: pl.DataFrame
    model_classes: pl.DataFrame
    model_releases: pl.DataFrame
    usage: pl.DataFrame
    fleet: pl.DataFrame
    compute_formulas: pl.DataFrame
    export_regimes: pl.DataFrame
    correlations: pl.DataFrame
    settings: ScenarioSettings
    files: list[InputFile] = field(default_factory=list)

    @property
    def scenario(self) -> ScenarioSettings:
        """Alias of `settings` (the name used in docs/architecture.md)."""
        return self.settings

    def tables(self) -> dict[str, pl.DataFrame]:
        """Table name -> frame, in TABLES order (frames keep `_file` and `_row`)."""
        return {name: getattr(self, name) for name in TABLES}


# --- cell parsing ------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([, ]\d{3})+(\.\d+)?$")
_PERCENT = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*%$")
_NUMBER_WITH_UNIT = re.compile(
    r"^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)\s*([A-Za-z/%$][\w/%$.\- ]*)$"
)
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXCEL_SERIAL = re.compile(r"^\d{4,5}(\.0+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
EXCEL_EPOCH = date(1899, 12, 30)


class CellError(ValueError):
    """A cell that cannot be typed: message and hint for the Problem."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_number(text: str) -> float:
    """A finite float from a plain decimal/scientific cell, or CellError saying what is wrong."""
    s = text.strip()
    if _NUMBER.match(s):
        x = float(s)
        if not math.isfinite(x):  # e.g. 1e999
            raise CellError("number out of range", "write a finite number")
        return x
    m = _PERCENT.match(s)
    if m:
        frac = float(m.group(1)) / 100
        raise CellError("a percentage is not a number here",
                        f"write the fraction {frac:g} (no '%'), and 'fraction' as its unit")
    if _THOUSANDS.match(s):
        plain = re.sub(r"[, ]", "", s)
        raise CellError("number with thousands separators",
                        f"remove separators: write {plain}")
    if _DECIMAL_COMMA.match(s):
        raise CellError("decimal comma", f"use a decimal point: write {s.replace(',', '.')}")
    m = _NUMBER_WITH_UNIT.match(s)
    if m:
        raise CellError(f"a unit inside a number cell ('{m.group(5).strip()}')",
                        f"write only the number {m.group(1)} here and put the unit in the "
                        "'unit' column")
    if s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity", "n/a", "na", "-"):
        raise CellError("not a number", "write a finite number, or leave the cell empty "
                        "if the column is optional")
    raise CellError("not a number", "write a plain number such as 312 or 1.75e11")


def parse_date(text: str) -> date:
    """A date from an ISO-8601 `YYYY-MM-DD` cell, or CellError (Excel serials get their date)."""
    s = text.strip()
    if _ISO_DATE.match(s):
        try:
            return date.fromisoformat(s)
        except ValueError as exc:
            raise CellError(f"not a valid date ({exc})", "write an existing date as YYYY-MM-DD"
                            ) from None
    if _EXCEL_SERIAL.match(s):
        n = int(float(s))
        if 1 <= n <= 2958465:
            iso = (EXCEL_EPOCH + timedelta(days=n)).isoformat()
            raise CellError("looks like an Excel serial date",
                            f"write the ISO date it means, {iso} (format the column as text "
                            "YYYY-MM-DD before saving)")
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2})?", s)
    if m:
        raise CellError("a date with a time", f"drop the time: write {m.group(1)}")
    if re.match(r"^\d{4}-\d{2}$", s):
        raise CellError("a month without a day", f"write the first of the month, {s}-01")
    m = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", s)
    if m:
        raise CellError("not an ISO-8601 date (day/month order is ambiguous)",
                        "write it as YYYY-MM-DD")
    raise CellError("not an ISO-8601 date", "write it as YYYY-MM-DD, e.g. 2023-04-01")


def parse_integer(text: str) -> int:
    s = text.strip()
    if _INTEGER.match(s):
        return int(s)
    if re.match(r"^[+-]?\d+\.0*$", s):
        raise CellError("not a whole number", f"write {s.split('.')[0]}")
    raise CellError("not a whole number", "write an integer such as 2026")


# --- CSV reading ---------------------------------------------------------------------------------

def _decode(raw: bytes, rel: str) -> str:
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
                data[col].append(_type_cell(cell, col, spec))
            except CellError as err:
                problems.append(Problem(rel, err.message, row=rowno, column=col, values=[cell],
                                        hint=err.hint))
                data[col].append(None)
        data["_file"].append(rel)
        data["_row"].append(rowno)
    if problems:
        raise InputError(problems)
    frame = pl.DataFrame(data, schema=spec.schema())
    if spec.kind == "numeric":
        frame = _fill_dist(frame, spec, rel)
    return frame


def _type_cell(cell: str, col: str, spec: TableSpec) -> Any:
    if col in spec.lists:
        return [a.strip() for a in cell.split(";") if a.strip()]
    if cell == "":
        return None
    if col in spec.dates:
        return parse_date(cell)
    if col in spec.numbers:
        return parse_number(cell)
    if col in spec.integers:
        return parse_integer(cell)
    if col == "dist":
        return cell.lower()
    return cell


def _fill_dist(frame: pl.DataFrame, spec: TableSpec, rel: str) -> pl.DataFrame:
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


def read_table(path: Path, spec: TableSpec, rel: str) -> tuple[pl.DataFrame, InputFile]:
    """Read one CSV file: its typed frame and its InputFile record (sha256 of the raw bytes)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(Problem(rel, "file not found",
                                 hint=f"create it with the header: {','.join(spec.columns)}"
                                 )) from None
    text = _decode(raw, rel)
    frame = read_table_text(text, spec, rel)
    return frame, InputFile(rel, hashlib.sha256(raw).hexdigest(), frame.height)


# --- scenarios -----------------------------------------------------------------------------------

SCENARIO_KEYS = {"name", "description", "extends", "settings", "tables", "set"}
SETTING_KEYS = {"start", "end", "inference_mode"}


def available_scenarios(data_dir: Path) -> list[str]:
    """Scenario names: `base` plus every data/scenarios/*.yaml stem, sorted."""
    folder = data_dir / "scenarios"
    names = {p.stem for p in folder.glob("*.yaml")} if folder.is_dir() else set()
    return sorted(names | {"base"})


def _read_yaml(path: Path, rel: str) -> tuple[dict[str, Any], str]:
    raw = path.read_bytes()
    text = _decode(raw, rel)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise InputError(Problem(rel, f"not valid YAML: {getattr(exc, 'problem', exc)}", row=row,
                                 hint="check indentation and that ':' is followed by a space"
                                 " (row = line number)")) from None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise InputError(Problem(rel, "a scenario file must be a YAML mapping (key: value)",
                                 hint="start with 'name: ...'"))
    return doc, hashlib.sha256(raw).hexdigest()


def _month(value: Any, rel: str, key: str) -> date:
    if isinstance(value, date):
        if value.day != 1:
            raise CellError(f"settings.{key} is not the first of a month",
                            f"write {value.year}-{value.month:02d}")
        return value
    s = str(value).strip()
    m = re.match(r"^(\d{4})-(\d{2})$", s)
    if m and 1 <= int(m.group(2)) <= 12:
        return date(int(m.group(1)), int(m.group(2)), 1)
    raise CellError(f"settings.{key} is not a month", "write YYYY-MM, e.g. 2022-01")


def _chain(data_dir: Path, scenario: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """Scenario docs from the root (base) to `scenario`: (name, doc, rel path, sha256)."""
    chain: list[tuple[str, dict[str, Any], str, str]] = []
    name: str | None = scenario
    while name is not None:
        if any(c[0] == name for c in chain):
            raise InputError(Problem(chain[-1][2], f"scenario 'extends' loops back to '{name}'",
                                     column="extends", hint="remove the cycle"))
        rel = f"scenarios/{name}.yaml"
        path = data_dir / rel
        if not path.is_file():
            if name == "base":
                break  # base without YAML = the files in data/ with default settings
            where = chain[-1][2] if chain else str(data_dir)
            raise InputError(Problem(
                where, f"unknown scenario '{name}'", values=[name],
                hint="use one of: " + ", ".join(available_scenarios(data_dir))))
        doc, sha = _read_yaml(path, rel)
        unknown = sorted(set(doc) - SCENARIO_KEYS)
        if unknown:
            raise InputError(Problem(rel, "unknown scenario key(s)", values=unknown,
                                     column=unknown[0],
                                     hint="allowed keys: " + ", ".join(sorted(SCENARIO_KEYS))))
        chain.append((name, doc, rel, sha))
        parent = doc.get("extends")
        if name == "base":
            name = None
        else:
            name = str(parent) if parent is not None else "base"
    return list(reversed(chain))


def _apply_set(
    frames: dict[str, pl.DataFrame], items: Any, rel: str, problems: list[Problem]
) -> None:
    """Upsert numeric rows from a scenario's `set:` list (whole row replaced by keys + metric)."""
    if not isinstance(items, list):
        problems.append(Problem(rel, "'set' must be a list of rows", column="set",
                                hint="write '- {table: ..., metric: ..., value: ...}' items"))
        return
    for pos, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(Problem(rel, "a 'set' item must be a mapping", row=pos, column="set",
                                    hint="write {table: ..., metric: ..., value: ...}"))
            continue
        table = item.get("table")
        spec = TABLES.get(str(table))
        if spec is None or spec.kind != "numeric":
            numeric = [n for n, s in TABLES.items() if s.kind == "numeric"]
            problems.append(Problem(rel, "'set' needs a numeric table", row=pos, column="table",
                                    values=[str(table)], hint="use one of: " + ", ".join(numeric)))
            continue
        allowed = {"table", *spec.all_columns}
        extra = sorted(str(k) for k in set(item) - allowed)
        need = [k for k in (*spec.keys, "metric", "value") if k not in item]
        if extra or need:
            problems.append(Problem(
                rel, f"'set' item for {spec.name}: "
                + (f"unknown field(s) {extra}" if extra else f"missing field(s) {need}"),
                row=pos, column=(extra or need)[0],
                hint="fields: " + ", ".join(("table", *spec.all_columns))))
            continue
        row: dict[str, Any] = {}
        bad = False
        for col in spec.all_columns:
            val = item.get(col)
            try:
                row[col] = None if val is None else _type_cell(str(val), col, spec)
            except CellError as err:
                problems.append(Problem(rel, err.message, row=pos, column=col, values=[str(val)],
                                        hint=err.hint))
                bad = True
        if bad:
            continue
        frame = frames[spec.name]
        match = pl.lit(True)
        for k in (*spec.keys, "metric"):
            match = match & (pl.col(k) == row[k])
        old = frame.filter(match)
        for inherit in ("unit", "source"):  # value and dist fields are never inherited
            if row.get(inherit) is None and old.height:
                row[inherit] = old[inherit][0]
            if row.get(inherit) is None:
                problems.append(Problem(rel, f"new '{spec.name}' row needs '{inherit}'",
                                        row=pos, column=inherit,
                                        hint=f"add {inherit}: ... to the item"))
                bad = True
        if bad:
            continue
        row["_file"], row["_row"] = rel, pos
        new = pl.DataFrame([row], schema=spec.schema())
        try:
            new = _fill_dist(new, spec, rel)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        frames[spec.name] = pl.concat([frame.filter(~match), new.select(frame.columns)])


def load_inputs(data_dir: Path, scenario: str = "base") -> Inputs:
    """Read data_dir's tables and apply `scenario` (its `extends` chain, `tables:`, `set:`).

    Returns one typed frame per table (grain: one row per file row, or per `set:` item) and the
    settings. Raises InputError listing every problem found.
    """
    data_dir = Path(data_dir)
    chain = _chain(data_dir, scenario)
    problems: list[Problem] = []
    # Which file backs each table: base file unless a scenario in the chain replaces it.
    sources: dict[str, tuple[Path, str]] = {n: (data_dir / s.file, s.file) for n, s in
                                            TABLES.items()}
    settings: dict[str, Any] = {"start": DEFAULT_START, "end": DEFAULT_END,
                                "inference_mode": "compute"}
    for _name, doc, rel, _sha in chain:
        tables = doc.get("tables") or {}
        if not isinstance(tables, dict):
            problems.append(Problem(rel, "'tables' must map table names to files",
                                    column="tables", hint="write 'table_name: folder/file.csv'"))
            tables = {}
        for tname, tfile in tables.items():
            if tname not in TABLES:
                problems.append(Problem(rel, "unknown table in 'tables'", column="tables",
                                        values=[str(tname)],
                                        hint="use one of: " + ", ".join(TABLES)))
                continue
            trel = f"scenarios/{tfile}"
            scen_dir = (data_dir / "scenarios").resolve()
            if not (data_dir / trel).resolve().is_relative_to(scen_dir):
                problems.append(Problem(rel, "table file outside data/scenarios/",
                                        column=f"tables.{tname}", values=[str(tfile)],
                                        hint="give a path inside data/scenarios/, e.g. "
                                        f"{Path(rel).stem}/{tname}.csv"))
                continue
            sources[tname] = (data_dir / trel, trel)
        sett = doc.get("settings") or {}
        if not isinstance(sett, dict):
            problems.append(Problem(rel, "'settings' must be a mapping", column="settings",
                                    hint="write settings: {start: 2022-01, end: 2030-12}"))
            sett = {}
        for key, val in sett.items():
            if key not in SETTING_KEYS:
                problems.append(Problem(rel, "unknown setting", column=f"settings.{key}",
                                        values=[str(key)],
                                        hint="allowed: " + ", ".join(sorted(SETTING_KEYS))))
            elif key == "inference_mode":
                if val not in INFERENCE_MODES:
                    problems.append(Problem(rel, "unknown inference_mode",
                                            column="settings.inference_mode", values=[str(val)],
                                            hint="use " + " or ".join(INFERENCE_MODES)))
                else:
                    settings[key] = val
            else:
                try:
                    settings[key] = _month(val, rel, key)
                except CellError as err:
                    problems.append(Problem(rel, err.message, column=f"settings.{key}",
                                            values=[str(val)], hint=err.hint))
    frames: dict[str, pl.DataFrame] = {}
    files: list[InputFile] = []
    for tname, (path, rel) in sources.items():
        try:
            frame, info = read_table(path, TABLES[tname], rel)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        frames[tname] = frame
        files.append(info)
    if problems:
        raise InputError(problems)
    for _name, doc, rel, sha in chain:
        items = doc.get("set") or []
        _apply_set(frames, items, rel, problems)
        files.append(InputFile(rel, sha, len(items) if isinstance(items, list) else 0))
    if settings["start"] > settings["end"]:
        problems.append(Problem(chain[-1][2] if chain else "scenarios/base.yaml",
                                "settings.start is after settings.end", column="settings.start",
                                values=[str(settings["start"]), str(settings["end"])],
                                hint="start must be on or before end"))
    if problems:
        raise InputError(problems)
    last = chain[-1][1] if chain else {}
    info_settings = ScenarioSettings(
        name=scenario, description=str(last.get("description") or ""), **settings)
    return Inputs(**frames, settings=info_settings, files=files)


def resolve_sku(inputs: Inputs, name: str) -> str:
    """The canonical sku for a sku or alias, case-insensitively; InputError lists valid names."""
    want = name.strip().lower()
    for row in inputs.chips.select("sku", "aliases").iter_rows(named=True):
        names = [row["sku"], *(row["aliases"] or [])]
        if want in (n.lower() for n in names):
            return row["sku"]
    valid = sorted({n for r in inputs.chips.iter_rows(named=True)
                    for n in [r["sku"], *(r["aliases"] or [])]})
    raise InputError(Problem("chips.csv", f"unknown chip '{name}'", column="sku", values=[name],
                             hint="use a sku or alias: " + ", ".join(valid)))
