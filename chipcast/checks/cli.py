"""`chipcast validate`: read a scenario's inputs and run the input suites alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from chipcast.errors import EXIT_DATA, InputError
from chipcast.paths import DATA_DIR, FORECASTS_DIR


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every problem (file, row, column, values, fix); write the GX JSON; exit 0 or 1."""
    from chipcast.checks import validate_inputs
    from chipcast.inputs import load_inputs

    data_dir = Path(args.data_dir) if args.data_dir else DATA_DIR
    out_dir = Path(args.out_dir) if args.out_dir else FORECASTS_DIR / "validation"
    try:
        inputs = load_inputs(data_dir, args.scenario)
    except InputError as exc:
        print(f"{len(exc.problems)} problem(s) reading {data_dir}:", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        return EXIT_DATA
    report = validate_inputs(inputs)
    path = report.write_json(out_dir / f"inputs-{args.scenario}.json")
    problems = report.problems()
    if problems:
        print(f"{len(problems)} problem(s) in {data_dir} (scenario {args.scenario}):",
              file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print(f"GX results: {path}", file=sys.stderr)
        return EXIT_DATA
    n = sum(len(s.outcomes) for s in report.suite_results)
    print(f"ok: {n} expectations in {len(report.suite_results)} suites passed "
          f"(scenario {args.scenario}); GX results: {path}")
    return 0
