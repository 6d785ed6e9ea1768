"""Scenarios: `data/scenarios/NAME.yaml` resolved along its `extends` chain into one set of
typed input tables (`load_inputs`). See docs/architecture.md ("Scenarios") for the format."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from chipcast.contracts import INFERENCE_MODES, NUMERIC_TABLES, TABLES
from chipcast.errors import InputError, Problem
from chipcast.inputs.cells import CellError
from chipcast.inputs.csvfile import decode, fill_dist, read_table, type_cell
from chipcast.inputs.files import MAX_YAML_BYTES, read_input_bytes
from chipcast.inputs.types import (
    DEFAULT_END,
    DEFAULT_START,
    GRID_FIRST,
    GRID_LAST,
    InputFile,
    Inputs,
    ScenarioSettings,
    schema,
)

# A scenario name is a file name without folders (so it cannot leave data/scenarios/, nor
# carry the validation JSON named after it out of the output folder); a table file of
# `tables:` is a relative path of such names.
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
TABLE_PATH = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$")
SCENARIO_KEYS = {"name", "description", "extends", "settings", "tables", "set"}
SETTING_KEYS = {"start", "end", "inference_mode", "calibrate", "fit_until"}


def available_scenarios(data_dir: Path) -> list[str]:
    """Scenario names: `base` plus every data/scenarios/*.yaml stem, sorted."""
    folder = data_dir / "scenarios"
    names = {p.stem for p in folder.glob("*.yaml")} if folder.is_dir() else set()
    return sorted(names | {"base"})


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader refusing aliases (`*name`, and so `<<: *name` merges): ten lines of
    nested aliases expand to billions of nodes (a "billion laughs" bomb). Anchors alone are
    harmless, and a scenario never needs either."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in a scenario",
                event.start_mark)
        return super().compose_node(parent, index)


def _read_yaml(path: Path, rel: str, root: Path) -> tuple[dict[str, Any], str]:
    raw = read_input_bytes(path, rel, root=root, limit=MAX_YAML_BYTES)
    text = decode(raw, rel)
    try:
        doc = yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = str(getattr(exc, "problem", None) or exc)[:120]
        hint = ("write the values out instead of an alias" if "alias" in problem else
                "check indentation and that ':' is followed by a space (row = line number)")
        raise InputError(Problem(rel, f"not valid YAML: {problem}", row=row, hint=hint)
                         ) from None
    except RecursionError:  # thousands of nested brackets
        raise InputError(Problem(rel, "not valid YAML: nested too deeply",
                                 hint="a scenario is a flat mapping with a list under 'set'")
                         ) from None
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
        if not SCENARIO_NAME.match(name):
            where = chain[-1][2] if chain else "scenarios/"
            raise InputError(Problem(
                where, "a scenario is named by a plain name, not a path",
                column="extends" if chain else "scenario", values=[name],
                hint="give the name of a file data/scenarios/<name>.yaml (letters, digits, "
                "'-' and '_'; at most 64), one of: " + ", ".join(available_scenarios(data_dir))))
        if any(c[0] == name for c in chain):
            raise InputError(Problem(chain[-1][2], f"scenario 'extends' loops back to '{name}'",
                                     column="extends", hint="remove the cycle"))
        rel = f"scenarios/{name}.yaml"
        path = data_dir / rel
        if not (path.exists() or path.is_symlink()):
            if name == "base":
                break  # base without YAML = the files in data/ with default settings
            where = chain[-1][2] if chain else str(data_dir)
            raise InputError(Problem(
                where, f"unknown scenario '{name}'", values=[name],
                hint="use one of: " + ", ".join(available_scenarios(data_dir))))
        doc, sha = _read_yaml(path, rel, data_dir)
        unknown = sorted(set(doc) - SCENARIO_KEYS)
        if unknown:
            raise InputError(Problem(rel, "unknown scenario key(s)", values=unknown,
                                     column=unknown[0],
                                     hint="allowed keys: " + ", ".join(sorted(SCENARIO_KEYS))))
        chain.append((name, doc, rel, sha))
        parent = doc.get("extends")
        if name == "base":
            name = None
        elif parent is not None and not isinstance(parent, str):
            raise InputError(Problem(rel, "'extends' must be a scenario name", column="extends",
                                     values=[str(parent)], hint="write extends: base"))
        else:
            name = parent if parent is not None else "base"
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
        if spec is None or not spec.numeric:
            numeric = list(NUMERIC_TABLES)
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
                row[col] = None if val is None else type_cell(str(val), col, spec)
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
        new = pl.DataFrame([row], schema=schema(spec))
        try:
            new = fill_dist(new, spec, rel)
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
            if not isinstance(tfile, str) or not TABLE_PATH.match(tfile) or ".." in tfile:
                problems.append(Problem(rel, "table file outside data/scenarios/ (a plain "
                                        "relative path is needed)", column=f"tables.{tname}",
                                        values=[str(tfile)],
                                        hint="write folder/file.csv (letters, digits, '-', "
                                        f"'_', '.'), e.g. {Path(rel).stem}/{tname}.csv"))
                continue
            # Inside data/scenarios/ by its spelling; a symlink there pointing out is
            # refused when the file is read (chipcast.inputs.files), naming the file.
            trel = f"scenarios/{tfile}"
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
            elif key == "calibrate":
                if not isinstance(val, bool):
                    problems.append(Problem(rel, "calibrate must be true or false",
                                            column="settings.calibrate", values=[str(val)],
                                            hint="write calibrate: true"))
                else:
                    settings[key] = val
            elif key == "inference_mode":
                if val not in INFERENCE_MODES:
                    problems.append(Problem(rel, "unknown inference_mode",
                                            column="settings.inference_mode", values=[str(val)],
                                            hint="use " + " or ".join(INFERENCE_MODES)))
                else:
                    settings[key] = val
            else:  # start, end, fit_until: months
                try:
                    settings[key] = _month(val, rel, key)
                except CellError as err:
                    problems.append(Problem(rel, err.message, column=f"settings.{key}",
                                            values=[str(val)], hint=err.hint))
    frames: dict[str, pl.DataFrame] = {}
    files: list[InputFile] = []
    for tname, (path, rel) in sources.items():
        try:
            frame, info = read_table(path, TABLES[tname], rel, root=data_dir)
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
    for key in ("start", "end", "fit_until"):
        month = settings.get(key)
        if month is not None and not GRID_FIRST <= month <= GRID_LAST:
            problems.append(Problem(
                chain[-1][2] if chain else "scenarios/base.yaml",
                f"settings.{key} is outside the supported span {GRID_FIRST:%Y-%m}.."
                f"{GRID_LAST:%Y-%m}", column=f"settings.{key}", values=[f"{month:%Y-%m}"],
                hint=f"give a month from {GRID_FIRST:%Y-%m} to {GRID_LAST:%Y-%m} "
                "(data/README.md, 'Settings')"))
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


def fingerprint(files: list[InputFile]) -> str:
    """sha256 over the sorted (path, sha256) pairs of the files a scenario read: equal
    fingerprints mean the same bytes were read."""
    text = ",".join(f"{f.path}:{f.sha256}" for f in sorted(files, key=lambda f: f.path))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
