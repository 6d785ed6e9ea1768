"""`chipcast dashboard`: start the Streamlit dashboard on the published warehouse."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from chipcast.cli.options import ProjectOption, folders


def register(app: typer.Typer) -> None:
    app.command(name="dashboard")(dashboard_command)


def streamlit_command(port: int, address: str) -> list[str]:
    """The `streamlit run` command line of the dashboard app (found without importing it:
    the app imports streamlit, which the CLI does not load)."""
    spec = importlib.util.find_spec("chipcast.dashboard.app")
    if spec is None or spec.origin is None:  # pragma: no cover - a broken install
        raise RuntimeError("chipcast.dashboard.app is missing from this installation")
    return [sys.executable, "-m", "streamlit", "run", spec.origin, "--server.port", str(port),
            "--server.address", address, "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]


def dashboard_command(
    port: Annotated[int, typer.Option(help="port to serve on", min=1, max=65535)] = 8501,
    address: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    out_dir: Annotated[Path | None, typer.Option(help="outputs folder (default: the project's "
                                                      "forecasts/)")]
    = None,
    project: ProjectOption = None,
) -> None:
    """Serve the dashboard (headlines, fan chart, firms, SKU and vendor mix, tornado,
    back-test, check results) on http://ADDRESS:PORT until Ctrl-C. It reads the published file
    read-only and reloads after each publish."""

    folder = folders(project, out_dir=out_dir, need=("out",))[2].resolve()
    env = {**os.environ, "CHIPCAST_DASHBOARD_OUT_DIR": str(folder)}
    print(f"chipcast dashboard on http://{address}:{port} (warehouse {folder}); Ctrl-C stops it",
          file=sys.stderr, flush=True)
    command = streamlit_command(port, address)
    # Streamlit takes this process's place, so a signal that stops `chipcast dashboard` (Ctrl-C,
    # a service manager's SIGTERM) reaches the server itself and leaves no orphan behind.
    os.execve(command[0], command, env)
