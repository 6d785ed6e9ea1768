"""Options every command shares: which project it works on (`--project DIR`, else
CHIPCAST_PROJECT, else the nearest chipcast.toml from the current folder up)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipcast.errors import UsageError
from chipcast.project import Project, find_project

ProjectOption = Annotated[Path | None, typer.Option(
    "--project", help="project folder (default: the nearest folder holding chipcast.toml, "
    "from the current folder up)", show_default=False)]


def folders(project: Path | None, data_dir: Path | None = None, out_dir: Path | None = None,
            need: tuple[str, ...] = ("data", "out")) -> tuple[Project | None, Path, Path]:
    """(project, data folder, output folder) for a command. An explicit --data-dir/--out-dir
    wins over the project's; a command whose folders are all given explicitly needs no
    project. Raises UsageError (exit 2) when a project is needed and none is found."""
    given = {"data": data_dir, "out": out_dir}
    if project is None and all(given[n] is not None for n in need):
        try:  # the project's [run] defaults still apply when there is one
            found: Project | None = find_project()
        except UsageError:
            found = None
        return found, Path(data_dir or "data"), Path(out_dir or "forecasts")
    found = find_project(project)
    return found, Path(data_dir or found.data_dir), Path(out_dir or found.out_dir)
