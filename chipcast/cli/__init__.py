"""The `chipcast` command line (typer, rich output).

Exit codes (docs/exit-codes.md): 0 ok, 1 bad input or failed data check (nothing published),
2 wrong usage, 3 the warehouse is being written by another run, 4 the environment refused (disk
full, read-only or forbidden output folder, Prefect API unreachable, damaged warehouse file),
70 internal error (a bug: rerun with --debug for the traceback), 130 interrupted (Ctrl-C,
SIGTERM). Every failure is one line or a problem list; a traceback only with `--debug` (or
CHIPCAST_DEBUG=1). Each command module imports the heavy libraries (Prefect, Great
Expectations, DuckDB) inside its command, so `chipcast estimate` or a usage error never pays for
them.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import traceback
from collections.abc import Sequence


def _early_exit(signum: int, frame: object) -> None:
    os._exit(130)  # the CLI is still importing: nothing has started, nothing to clean


def _launched_as_cli() -> bool:
    """This import is the `chipcast` command starting (the console script, or `python -m
    chipcast.cli`, whose argv[0] is "-m" while the package imports), not a library user."""
    first = sys.argv[0] if sys.argv else ""
    return first == "-m" or os.path.basename(first) in ("chipcast", "chipcast.exe")


# Ctrl-C or SIGTERM while the CLI imports its libraries (typer, rich: ~0.7 s) ends it with 130
# instead of a traceback or a swallowed signal; `main` hands SIGINT back to Python's handler
# and the commands install their own. Only when launched as the command: importing
# chipcast.cli from a test or a notebook keeps that process's handlers.
if _launched_as_cli() and threading.current_thread() is threading.main_thread():
    for _signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signal, _early_exit)

import typer  # noqa: E402

from chipcast import __version__  # noqa: E402
from chipcast.cli import (  # noqa: E402
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
from chipcast.cli.failures import DEBUG_ENV, classify, debugging  # noqa: E402
from chipcast.cli.interrupt import exit_on_late_signal, ignore_signals_at_exit  # noqa: E402
from chipcast.errors import EXIT_INTERNAL, EXIT_INTERRUPTED  # noqa: E402

# Registered first (the commands import Prefect, DuckDB and the rest later), so it runs last.
atexit.register(ignore_signals_at_exit)

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
    debug: bool = typer.Option(False, "--debug", help="print the traceback of an error "
                               f"(also {DEBUG_ENV}=1)"),
) -> None:
    """Forecast China's AI-accelerator demand, month by month, with uncertainty."""
    if debug:
        os.environ[DEBUG_ENV] = "1"


app.add_typer(estimate.app, name="estimate")
for module in (init, run, serve, query, validate, sensitivity, goalseek, backtest, prune,
               dashboard):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (no traceback for a user's error)."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler and (
            threading.current_thread() is threading.main_thread()):
        # The CLI ended an early Ctrl-C at once while importing (above); from here
        # a KeyboardInterrupt unwinds (each command cleans up) and ends with 130.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # A flow started with no Prefect server configured starts a temporary one: give it time.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The temporary server must not try to send usage statistics from an analyst's machine.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    before = os.environ.get(DEBUG_ENV)  # --debug sets it for this command only
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    finally:
        if before is None:
            os.environ.pop(DEBUG_ENV, None)
        else:
            os.environ[DEBUG_ENV] = before


def _main(args: list[str]) -> int:
    try:
        # typer prints usage errors itself (exit 2) and ends every command with SystemExit
        app(args=args, prog_name="chipcast")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place every error becomes a line + code
        if debugging():
            traceback.print_exc()
        known = classify(exc)
        if known is not None:
            print(f"error: {known}", file=sys.stderr)
            return known.exit_code
        text = " ".join(str(exc).split())[:300] or "no message"
        print(f"internal error: {type(exc).__name__}: {text} (rerun with --debug for the "
              f"traceback; exit {EXIT_INTERNAL})", file=sys.stderr)
        return EXIT_INTERNAL
    return 0


def entry() -> None:  # pragma: no cover - the console script
    code = main()
    exit_on_late_signal()  # Prefect's atexit hooks run after this: no traceback from them
    if code == EXIT_INTERRUPTED:
        # Interrupted: skip the atexit hooks (Prefect's would keep trying to send queued events
        # to the server the run has stopped, for seconds); the run has cleaned up already.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
