"""The `chipcast` command line (typer, rich output).

Exit codes: 0 ok, 1 bad input or failed data check (nothing published), 2 wrong usage, 3 the
warehouse is being written by another run, 130 interrupted. Each command module imports the
heavy libraries (Prefect, Great Expectations, DuckDB) inside its command, so `chipcast estimate`
or a usage error never pays for them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from chipcast import __version__
from chipcast.cli import (
    backtest,
    dashboard,
    estimate,
    goalseek,
    init,
    prune,
    query,
    run,
    sensitivity,
    serve,
    validate,
)
from chipcast.errors import ChipcastError

app = typer.Typer(
    name="chipcast", help="Forecast China's AI-accelerator demand, month by month, with "
    "uncertainty.", no_args_is_help=True, add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"chipcast {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="print the version and exit"),
) -> None:
    """Forecast China's AI-accelerator demand, month by month, with uncertainty."""


app.add_typer(estimate.app, name="estimate")
for module in (init, run, serve, query, validate, sensitivity, goalseek, backtest, prune,
               dashboard):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (no traceback for a user's error)."""
    # A flow started with no Prefect server configured starts a temporary one: give it time.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The temporary server must not try to send usage statistics from an analyst's machine.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        # typer prints usage errors itself (exit 2) and ends every command with SystemExit
        app(args=list(sys.argv[1:] if argv is None else argv), prog_name="chipcast")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except ChipcastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


def entry() -> None:  # pragma: no cover - the console script
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    entry()
