"""A chipcast project: a folder with a `chipcast.toml`, its inputs (`data/`) and outputs
(`forecasts/`), like a dbt project. Every command works on the project found from `--project DIR`,
else `CHIPCAST_PROJECT`, else the nearest `chipcast.toml` in the current folder or a parent.

The package ships what a project starts from and what every project shares: the inputs
(`SHIPPED_DATA`, copied into a new project by `chipcast init`) and the SQL statements
(`SQL_DIR`). Both are package data, so an ordinary (non-editable) install carries them; in the
repository they are symlinks to `data/` and `sql/` at its root.

`chipcast.toml` (written by `init_project`; every key optional):

    [project]
    data_dir = "data"          # inputs, relative to the project folder
    out_dir = "forecasts"      # outputs: warehouse, Parquet, report, cache

    [run]                      # defaults of `chipcast run` and of scheduled runs
    scenarios = []             # empty: every scenario in data_dir/scenarios
    draws = 32768
    seed = 20231
    sampler = "sobol"
    sensitivity_n = 512

    [schedule]                 # `chipcast serve`
    cron = "0 6 * * *"
    timezone = "UTC"
"""

from __future__ import annotations

import os
import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipcast.errors import UsageError

PACKAGE_DIR = Path(__file__).parent
SHIPPED_DATA = PACKAGE_DIR / "data"  # the inputs shipped with chipcast (package data)
SQL_DIR = PACKAGE_DIR / "sql"  # every SQL statement chipcast runs (package data)
CONFIG_NAME = "chipcast.toml"
ENV_VAR = "CHIPCAST_PROJECT"
# Monte Carlo draws per scenario: the smallest count whose headline P10/P50/P90 lie within 0.5 %
# of a 1,000,000-draw reference (Sobol': 0.39 %; 16,384 draws give 0.77 %, 4,096 0.93 %:
# bench/convergence.py, bench/RESULTS.md).
DEFAULT_DRAWS = 32768
DEFAULT_SEED = 20231
DEFAULT_SENSITIVITY_N = 512  # Sobol base sample: n x (inputs + 2) model runs per scenario
DEFAULT_CRON = "0 6 * * *"  # daily at 06:00
DEFAULT_TIMEZONE = "UTC"

# Keys a [run] table may set, with the type each must have (checked when the file is read, so
# a typo is named with the file instead of being ignored).
RUN_KEYS: dict[str, type] = {
    "scenarios": list, "draws": int, "seed": int, "sampler": str, "sensitivity_n": int,
}
SCHEDULE_KEYS: dict[str, type] = {"cron": str, "timezone": str}
PROJECT_KEYS: dict[str, type] = {"data_dir": str, "out_dir": str}

TEMPLATE = f"""\
# A chipcast project (`chipcast init`). Commands run in this folder (or with --project) use it.
# Paths are relative to this file's folder.

[project]
data_dir = "data"          # inputs: CSV/YAML, every number with its unit and source
out_dir = "forecasts"      # outputs: chipcast.duckdb, exports/, report/, .cache/

[run]                      # defaults of `chipcast run` and of scheduled runs
scenarios = []             # empty: every scenario in data/scenarios/ (base first)
draws = {DEFAULT_DRAWS:<18} # Monte Carlo draws per scenario (0 = deterministic only; 4096
                           # for a quicker look, its headline quantiles within about 1 %)
seed = {DEFAULT_SEED}
sampler = "sobol"          # sobol | lhs | random
sensitivity_n = {DEFAULT_SENSITIVITY_N:<10} # Sobol base sample of `--sensitivity full` (0 = skip)

[schedule]                 # `chipcast serve`
cron = "{DEFAULT_CRON}"       # daily at 06:00
timezone = "{DEFAULT_TIMEZONE}"          # an IANA name, e.g. "Asia/Shanghai"
"""


@dataclass(frozen=True)
class Project:
    """A project folder and its settings. `run` holds only the [run] keys the file sets (the
    run configuration applies its own defaults for the rest)."""

    root: Path
    data_dir: Path
    out_dir: Path
    run: Mapping[str, Any] = field(default_factory=dict)
    cron: str = DEFAULT_CRON
    timezone: str = DEFAULT_TIMEZONE

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME


def _typed(table: Mapping[str, Any], keys: Mapping[str, Any], section: str,
           path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in keys:
            raise UsageError(f"{path}: unknown key '{key}' in [{section}]; known keys: "
                             f"{', '.join(keys)}")
        want = keys[key]
        if isinstance(value, bool) or not isinstance(value, want):
            name = {int: "an integer", str: "a string", list: "a list"}.get(want, str(want))
            raise UsageError(f"{path}: [{section}] {key} must be {name}, got {value!r}")
        out[key] = value
    return out


def load_project(root: Path) -> Project:
    """Read `<root>/chipcast.toml` (UsageError naming the file on a syntax or key error)."""
    root = Path(root).resolve()
    path = root / CONFIG_NAME
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no {CONFIG_NAME} in {root}: not a chipcast project (create one with "
                         f"`chipcast init {root}`)") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}); fix the line it names") from None
    unknown = set(doc) - {"project", "run", "schedule"}
    if unknown:
        raise UsageError(f"{path}: unknown table [{sorted(unknown)[0]}]; known tables: "
                         "[project], [run], [schedule]")
    proj = _typed(doc.get("project", {}), PROJECT_KEYS, "project", path)
    run = _typed(doc.get("run", {}), RUN_KEYS, "run", path)
    sched = _typed(doc.get("schedule", {}), SCHEDULE_KEYS, "schedule", path)
    if "scenarios" in run and not all(isinstance(s, str) for s in run["scenarios"]):
        raise UsageError(f"{path}: [run] scenarios must be a list of scenario names")
    return Project(
        root=root,
        data_dir=(root / proj.get("data_dir", "data")).resolve(),
        out_dir=(root / proj.get("out_dir", "forecasts")).resolve(),
        run=run,
        cron=sched.get("cron", DEFAULT_CRON),
        timezone=sched.get("timezone", DEFAULT_TIMEZONE),
    )


def find_project(explicit: Path | str | None = None, start: Path | None = None,
                 env: Mapping[str, str] | None = None) -> Project:
    """The project to work on: `explicit` (a folder, or its chipcast.toml), else the folder
    `CHIPCAST_PROJECT` names, else the nearest folder holding chipcast.toml from `start`
    (default: the current folder) upwards. UsageError (exit 2) when there is none."""
    env = os.environ if env is None else env
    chosen = explicit if explicit not in (None, "") else env.get(ENV_VAR) or None
    if chosen is not None:
        path = Path(chosen).expanduser()
        if path.name == CONFIG_NAME and path.is_file():
            path = path.parent
        if not (path / CONFIG_NAME).is_file():
            raise UsageError(f"no chipcast project at {path} (it has no {CONFIG_NAME}): create "
                             f"one with `chipcast init {path}`, or pass another --project")
        return load_project(path)
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return load_project(folder)
    raise UsageError(f"no chipcast project found in {here} or any folder above it (no "
                     f"{CONFIG_NAME}): create one with `chipcast init DIR`, then run there or "
                     "pass --project DIR")


def init_project(root: Path) -> Project:
    """Write a new project into `root` (created if missing): chipcast.toml, data/ with the
    shipped inputs and scenarios, forecasts/. Refuses (UsageError) to overwrite a project or
    a non-empty data/."""
    root = Path(root).expanduser().resolve()
    if (root / CONFIG_NAME).exists():
        raise UsageError(f"{root} is already a chipcast project ({CONFIG_NAME} exists): "
                         "nothing was changed")
    data = root / "data"
    if data.exists() and any(data.iterdir()):
        raise UsageError(f"{data} exists and is not empty: choose another folder, or move it "
                         "away; nothing was changed")
    if not (SHIPPED_DATA / "scenarios").is_dir():
        raise UsageError(f"this chipcast install has no shipped inputs at {SHIPPED_DATA}: "
                         "reinstall chipcast")
    root.mkdir(parents=True, exist_ok=True)
    # Copy files, never links: the project must not change when chipcast is upgraded.
    shutil.copytree(SHIPPED_DATA, data, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (root / "forecasts").mkdir(exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# outputs and cache are rebuilt by `chipcast run`\nforecasts/\n",
                          encoding="utf-8")
    (root / CONFIG_NAME).write_text(TEMPLATE, encoding="utf-8")
    return load_project(root)
