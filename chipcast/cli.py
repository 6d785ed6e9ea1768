"""The `chipcast` command line. Handlers live in their domain modules and are imported lazily,
so `chipcast estimate` does not pay for Prefect or Great Expectations imports."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from chipcast.config import SAMPLERS
from chipcast.errors import ChipcastError

# subcommand -> "module:function"; the function takes the parsed args and returns an exit code.
HANDLERS: dict[str, str] = {
    "estimate": "chipcast.estimate:cmd_estimate",
    "run": "chipcast.runner:cmd_run",
    "query": "chipcast.warehouse:cmd_query",
    "validate": "chipcast.checks.cli:cmd_validate",
    "sensitivity": "chipcast.sensitivity:cmd_sensitivity",
    "goalseek": "chipcast.goalseek:cmd_goalseek",
}


def _add_estimate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("estimate", help="compute formulas for one model (training or inference)")
    kinds = p.add_subparsers(dest="kind", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--params", type=float, required=True, help="total parameters N")
    common.add_argument(
        "--active-params", type=float, help="active parameters per token (MoE); default N"
    )
    common.add_argument("--chip", default="A100", help="SKU or alias (A100, A800, H20, 910B...)")
    common.add_argument("--json", action="store_true", help="print one JSON object")
    common.add_argument("--data-dir", default=None, help="inputs folder (default: data/)")
    t = kinds.add_parser("training", parents=[common], help="chips to train a model")
    t.add_argument("--tokens", type=float, required=True, help="training tokens D")
    t.add_argument("--mfu", type=float, help="model FLOPs utilisation 0-1 (default: data)")
    t.add_argument("--days", type=float, help="training duration in days")
    i = kinds.add_parser("inference", parents=[common], help="chips to serve a model")
    i.add_argument("--dau", type=float, required=True, help="daily active users")
    i.add_argument("--questions", type=float, required=True, help="questions per user per day")
    i.add_argument("--words", type=float, required=True, help="words per answer")
    i.add_argument("--tokens-per-word", type=float, help="tokens per word (default: data)")
    i.add_argument("--prompt-tokens", type=float, default=0.0, help="prompt tokens per question")
    i.add_argument("--utilization", type=float, help="serving utilisation 0-1 (default: data)")


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the pipeline: ingest, check, forecast, publish")
    p.add_argument(
        "--scenario", action="append", dest="scenarios",
        help="scenario (repeatable; default: every scenario in data/scenarios/)",
    )
    p.add_argument("--data-dir", default=None, help="inputs folder (default: data/)")
    p.add_argument("--out-dir", default=None, help="outputs folder (default: forecasts/)")
    p.add_argument(
        "--draws", type=int, default=None,
        help="Monte Carlo draws per scenario (default 4096; 0 = deterministic only)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default 20231)")
    p.add_argument("--sampler", choices=SAMPLERS, default=None, help="default sobol")
    p.add_argument(
        "--sensitivity-n", type=int, default=None,
        help="Sobol base sample of the sensitivity analysis (power of 2; default 512; 0 = skip)",
    )


def _add_query(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="run read-only SQL on the published warehouse")
    p.add_argument("sql", help="a SELECT statement")
    p.add_argument("--out-dir", default=None, help="outputs folder (default: forecasts/)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _add_validate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check the inputs alone (exit 0 ok, 1 data errors)")
    p.add_argument("--scenario", default="base")
    p.add_argument("--data-dir", default=None, help="inputs folder (default: data/)")
    p.add_argument("--out-dir", default=None, help="where GX result JSON goes")


def _add_sensitivity(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sensitivity", help="tornado and Sobol indices for the headline outputs")
    p.add_argument("--scenario", default="base")
    p.add_argument("--out-dir", default=None, help="outputs folder (default: forecasts/)")
    p.add_argument("--data-dir", default=None, help="inputs folder (default: data/)")
    p.add_argument(
        "--recompute", action="store_true",
        help="compute from the inputs even when the published run holds the table",
    )
    p.add_argument(
        "--sobol-n", type=int, default=None,
        help="Sobol base sample when computing (power of 2; default 512, as `chipcast run`)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (default 20231)")


def _add_goalseek(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("goalseek", help="which single input value makes a metric hit a target")
    p.add_argument("--target", type=float, required=True)
    p.add_argument("--metric", required=True)
    p.add_argument("--scenario", default="base")
    p.add_argument("--data-dir", default=None, help="inputs folder (default: data/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chipcast", description="Forecast China's AI-accelerator demand."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_estimate,
        _add_run,
        _add_query,
        _add_validate,
        _add_sensitivity,
        _add_goalseek,
    ):
        add(sub)
    return parser


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    module, func = HANDLERS[command].split(":")
    return getattr(importlib.import_module(module), func)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run one subcommand and return its exit code."""
    # A flow started with no Prefect server configured starts a temporary one: give it time.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # The temporary server must not try to send usage statistics from an analyst's machine.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return _handler(args.command)(args)
    except ChipcastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

