"""`chipcast prune --keep N`: drop old runs from the published warehouse and forecasts/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from chipcast.cli.options import ProjectOption, folders


def register(app: typer.Typer) -> None:
    app.command(name="prune")(prune_command)


def prune_command(
    keep: Annotated[int, typer.Option(help="published runs to keep (the newest; runs a view "
                                           "shows are kept too)", min=1)],
    out_dir: Annotated[Path | None, typer.Option(help="outputs folder (default: the project's "
                                                      "forecasts/)")] = None,
    wait: Annotated[float, typer.Option(help="seconds to wait for a running pipeline")] = 0.0,
    project: ProjectOption = None,
) -> None:
    """Keep the newest N published runs (and every run a BI view shows: the published views
    do not change); drop the others' rows, exports, reports and check results. Exit 0 ok,
    3 another run is writing."""
    # Imported here: the CLI's start-up stays light.
    from chipcast.store.retention import prune

    folder = folders(project, out_dir=out_dir, need=("out",))[2]
    result = prune(folder, keep, wait=wait)
    mb = 1024 * 1024
    print(f"kept {len(result.kept)} run(s), dropped {len(result.dropped)}; removed "
          f"{len(result.files_removed)} export/report/check folder(s) or file(s)")
    if result.rewritten:
        print(f"warehouse {folder / 'chipcast.duckdb'}: {result.bytes_before / mb:.2f} MB -> "
              f"{result.bytes_after / mb:.2f} MB")
