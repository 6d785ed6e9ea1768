"""`chipcast validate`: read a scenario's inputs and run the input suites alone."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from chipcast.cli.options import ProjectOption, folders
from chipcast.errors import EXIT_DATA, InputError


def register(app: typer.Typer) -> None:
    app.command(name="validate")(validate_command)


def validate_command(
    scenario: Annotated[str, typer.Option(help="scenario to resolve and check")] = "base",
    data_dir: Annotated[Path | None, typer.Option(help="inputs folder (default: the project's "
                                                       "data/)")]
    = None,
    out_dir: Annotated[Path | None, typer.Option(help="where the GX result JSON goes "
                                                      "(default: the project's "
                                                      "forecasts/validation/)")]
    = None,
    project: ProjectOption = None,
) -> None:
    """Check the inputs alone: print every problem (file, row, column, values, fix) and write
    the GX results. Exit 0 clean, 1 data errors."""
    # Imported here: Great Expectations costs seconds and only this command needs it.
    from chipcast.checks import validate_inputs
    from chipcast.inputs import load_inputs

    _, data, outputs = folders(project, data_dir, out_dir)
    out = out_dir or outputs / "validation"
    try:
        inputs = load_inputs(data, scenario)
    except InputError as exc:
        print(f"{len(exc.problems)} problem(s) reading {data}:", file=sys.stderr)
        for p in exc.problems:
            print(f"  {p}", file=sys.stderr)
        raise typer.Exit(EXIT_DATA) from None
    report = validate_inputs(inputs)
    path = report.write_json(out / f"inputs-{scenario}.json")
    problems = report.problems()
    if problems:
        print(f"{len(problems)} problem(s) in {data} (scenario {scenario}):", file=sys.stderr)
        for p in problems:
            print(f"  {p}", file=sys.stderr)
        print(f"GX results: {path}", file=sys.stderr)
        raise typer.Exit(EXIT_DATA)
    n = sum(len(s.outcomes) for s in report.suite_results)
    print(f"ok: {n} expectations in {len(report.suite_results)} suites passed "
          f"(scenario {scenario}); GX results: {path}")
