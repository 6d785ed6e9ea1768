"""`chipcast init DIR`: write a new project (chipcast.toml, data/ with the shipped inputs and
scenarios, forecasts/)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipcast.project import init_project


def register(app: typer.Typer) -> None:
    app.command(name="init")(init_command)


def init_command(
    directory: Annotated[Path, typer.Argument(help="folder of the new project (created if "
                                                   "missing)")] = Path("."),
) -> None:
    """Create a project: chipcast.toml (run and schedule defaults), data/ (the shipped inputs,
    ready to edit) and forecasts/ (outputs). Exit 2 if DIR is already a project."""
    project = init_project(directory)
    print(f"created a chipcast project in {project.root}\n"
          f"  settings: {project.config_file}\n"
          f"  inputs:   {project.data_dir}\n"
          f"  outputs:  {project.out_dir}\n"
          f"next: cd {project.root} && chipcast run --draws 0   (seconds; drop --draws 0 for "
          "the Monte Carlo)")
