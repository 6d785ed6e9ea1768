"""`chipcast serve`: serve the pipeline as a Prefect deployment on a cron schedule (runs until
stopped; scheduled and manual runs then execute in this process's runner)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from chipcast.cli.options import ProjectOption
from chipcast.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command(name="serve")(serve_command)


def check_schedule(cron: str, timezone: str) -> None:
    """UsageError for a timezone that is not an IANA name or a cron that is not 5 fields
    (Prefect checks the fields' values when the deployment is created)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {timezone!r} is not an IANA timezone name (e.g. UTC, "
                         "Asia/Shanghai, Europe/Berlin)") from None
    if len(cron.split()) != 5:
        raise UsageError(f"--cron {cron!r} needs 5 fields: minute hour day month weekday "
                         "(e.g. '0 6 * * *' daily at 06:00)")


def serve_command(
    project: ProjectOption = None,
    cron: Annotated[str | None, typer.Option(
        help="when to run, cron syntax (default: the project's schedule cron, else "
        "'0 6 * * *', daily at 06:00)")] = None,
    timezone: Annotated[str | None, typer.Option(
        help="IANA timezone of the cron (default: the project's schedule timezone, else "
        "UTC)")] = None,
    name: Annotated[str, typer.Option(help="deployment name")] = "chipcast-daily",
    draws: Annotated[int | None, typer.Option(min=0, help="Monte Carlo draws per scenario "
                                                          "(default: the project's)")] = None,
    scenarios: Annotated[list[str] | None, typer.Option(
        "--scenario", help="scenario (repeatable; default: the project's)")] = None,
    dask: Annotated[str | None, typer.Option(help="'local' or tcp://host:port: run the Monte "
                                                  "Carlo on Dask")] = None,
) -> None:
    """Serve the pipeline as the Prefect deployment `chipcast-scheduled/NAME` with a cron
    schedule; trigger runs from the UI or `prefect deployment run`. Needs a Prefect server
    (PREFECT_API_URL); stop with Ctrl-C."""
    from chipcast.config import check_dask
    from chipcast.inputs import available_scenarios
    from chipcast.project import find_project

    found = find_project(project)
    cron = cron or found.cron
    timezone = timezone or found.timezone
    check_schedule(cron, timezone)
    check_dask(dask)
    known = available_scenarios(found.data_dir)
    for s in scenarios or []:
        if s not in known:
            raise UsageError(f"unknown scenario {s!r} in {found.data_dir}: the scenarios are "
                             f"{', '.join(known)}")
    overrides = {k: v for k, v in {"draws": draws, "scenarios": scenarios or None,
                                   "dask": dask}.items() if v is not None}
    # Imported here: importing Prefect costs seconds; usage errors above are answered first.
    from prefect import serve

    from flows.schedule import deployment

    dep = deployment(Path(found.root), cron, timezone, name=name, **overrides)
    print(f"serving chipcast-scheduled/{name} for {found.root}: {cron} ({timezone})",
          file=sys.stderr, flush=True)
    serve(dep)
