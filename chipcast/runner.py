"""`chipcast run`: build the RunConfig, start the pipeline flow, print a short summary."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chipcast.config import RunConfig
from chipcast.errors import EXIT_DATA, ChipcastError


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"
    return str(value)


QUERY_HINT = "SELECT * FROM mart_scenario_comparison"
HEADLINES = (
    ("a100_a800_units_shipped_2023_2025", "A100+A800 units shipped 2023-2025"),
    ("a100e_shipped_2023_2030", "A100-eq shipped 2023-2030"),
    ("peak_installed_units", "peak units installed"),
    ("total_capex_usd", "total capex, USD"),
)


SEED_SCENARIO = "seed-2023"
SEED_CLAIM = 2e6  # the article's "more than 2 million" new A100s (FACTS.md S12)


def seed_claim_line(peak_units: float | None) -> str:
    """Whether the seed world's own inputs reach the article's "> 2 million A100s"."""
    if not peak_units:
        return "  the article's > 2 million: no installed units to compare"
    if peak_units > SEED_CLAIM:
        return f"  the article's > 2 million A100s: reached ({_fmt(peak_units)})"
    return (
        f"  the article's > 2 million A100s needs more than its stated inputs: they give "
        f"{_fmt(peak_units)}, x{SEED_CLAIM / peak_units:.2f} short (see `chipcast goalseek "
        f"--target 2e6 --metric peak_installed_units --scenario {SEED_SCENARIO}`)"
    )


def format_summary(summary: Any) -> str:
    """The lines `chipcast run` prints after a published run."""
    lines = [
        f"run {summary.run_id} published: scenarios {', '.join(summary.scenarios)}",
        "forecast rows: " + ", ".join(f"{s} {n:,}" for s, n in summary.rows.items()),
    ]
    for row in summary.comparison:
        if row["scenario"] not in summary.scenarios:
            continue  # an earlier run's scenario, still in the marts
        lines.append(f"[{row['scenario']}]")
        for key, label in HEADLINES:
            extra = f" ({row['peak_month']})" if key == "peak_installed_units" else ""
            lines.append(f"  {label}: {_fmt(row.get(key))}{extra}")
        if row["scenario"] == SEED_SCENARIO:
            lines.append(seed_claim_line(row.get("peak_installed_units")))
    lines += [
        f"warehouse: {summary.database}",
        f"  try:     chipcast query {QUERY_HINT!r}",
        f"parquet:   {summary.exports}",
        f"checks:    {summary.validation}",
        f"report:    {summary.report}",
    ]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the pipeline. Exit 0 published, 1 input or check failure (nothing published),
    2 usage error, 3 warehouse locked by another run."""
    try:
        config = RunConfig.from_sources(args)
        # Fail at once when another run holds the lock, before starting Prefect.
        from chipcast.publish import check_unlocked

        check_unlocked(config.out_dir)
        from flows.common import quiet_data_error_tracebacks
        from flows.pipeline import pipeline

        quiet_data_error_tracebacks()

        summary = pipeline(
            scenarios=list(config.scenarios), data_dir=config.data_dir,
            out_dir=config.out_dir, draws=config.draws, seed=config.seed,
            sampler=config.sampler, sensitivity_n=config.sensitivity_n,
        )
    except ChipcastError as exc:
        problems = getattr(exc, "problems", None)
        print(f"run failed ({type(exc).__name__}); nothing was published.", file=sys.stderr)
        if problems:
            for problem in problems:
                print(f"  - {problem}", file=sys.stderr)
        else:
            print(f"  {exc}", file=sys.stderr)
        return exc.exit_code or EXIT_DATA
    print(format_summary(summary))
    return 0
