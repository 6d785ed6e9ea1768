"""What every run leaves in the Prefect UI: a markdown summary (headline P10/P50/P90 per
scenario, checks passed/failed, back-test coverage when the warehouse has a back-test table), a
table of the scenario comparison and a link to the HTML report; a failed run leaves a markdown
note of what failed (the pipeline's on_failure hook).

Artifact keys (lowercase, dashes) are fixed, so the UI's Artifacts page shows each key's
history across runs."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from prefect import task
from prefect.artifacts import (
    MarkdownArtifact,
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE

from chipcast.contracts import HEADLINES
from chipcast.store.publish import RunPaths
from chipcast.store.summary import RunDigest, run_digest

SUMMARY_KEY = "chipcast-run-summary"
COMPARISON_KEY = "chipcast-scenario-comparison"
REPORT_KEY = "chipcast-report"
FAILURE_KEY = "chipcast-failed-run"


def _num(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, int | float | Decimal):
        v = float(value)
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.4g}"
    return str(value)


def _table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_num(v) for v in r) + " |" for r in rows]
    return lines


def summary_markdown(digest: RunDigest, scenarios: list[str], settings: str) -> str:
    """The run summary: headlines (deterministic and P10/P50/P90) per scenario, the data
    checks, the back-test rows when present."""
    lines = [f"# chipcast run `{digest.run_id}`", "",
             f"Scenarios: {', '.join(scenarios)}. {settings}", "", "## Headlines", ""]
    rows = [[h["scenario"], HEADLINES[h["headline"]].label if h["headline"] in HEADLINES
             else h["headline"], h["unit"], h["deterministic"], h["p10"], h["p50"], h["p90"]]
            for h in digest.headlines]
    lines += _table(["scenario", "headline", "unit", "deterministic", "P10", "P50", "P90"], rows)
    passed = sum(c["passed"] for c in digest.checks)
    failed = sum(c["failed"] for c in digest.checks)
    lines += ["", "## Data checks", "",
              f"{passed:,} expectations passed, {failed:,} failed, in {len(digest.checks)} "
              "suites.", ""]
    lines += _table(["suite", "expectations", "passed", "failed"],
                    [[c["suite"], c["expectations"], c["passed"], c["failed"]]
                     for c in digest.checks])
    lines += ["", "## Back-test coverage", ""]
    if digest.backtest is None:
        lines.append("This warehouse has no back-test table.")
    elif not digest.backtest:
        lines.append("The back-test table has no rows for this run.")
    else:
        rows = [[r["scenario"], r["calibration"] + (" (out of sample)" if r["out_of_sample"]
                                                    else ""),
                 f"{r['inside']} of {r['scored']}",
                 f"{r['inside'] / r['scored']:.0%}" if r["scored"] else "-", r["draws"],
                 r["kept_draws"] if r["kept_draws"] is not None else "-"]
                for r in digest.backtest]
        lines += _table(["scenario", "calibration", "inside P10-P90", "coverage", "draws",
                         "draws kept"], rows)
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    """A JSON-able cell for the table artifact."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@task(cache_policy=NO_CACHE)
def publish_artifacts(out_dir: str, run_id: str, scenarios: list[str], settings: str,
                      comparison: list[dict[str, Any]], report: str) -> list[str]:
    """Create the run's three artifacts from its published warehouse; returns their keys."""
    paths = RunPaths(Path(out_dir), run_id)
    with duckdb.connect(str(paths.published), read_only=True) as con:
        digest = run_digest(con, run_id)
    create_markdown_artifact(markdown=summary_markdown(digest, scenarios, settings),
                             key=SUMMARY_KEY, description=f"chipcast run {run_id}")
    create_table_artifact(table=[{k: _plain(v) for k, v in row.items()} for row in comparison
                                 if row.get("scenario") in scenarios],
                          key=COMPARISON_KEY,
                          description=f"mart_scenario_comparison of run {run_id}")
    create_link_artifact(link=Path(report).resolve().as_uri(), link_text=f"report {run_id}",
                         key=REPORT_KEY, description=f"HTML report of run {run_id}: {report}")
    return [SUMMARY_KEY, COMPARISON_KEY, REPORT_KEY]


def failure_artifact(flow_run_id: Any, name: str, parameters: dict[str, Any],
                     message: str) -> None:
    """A markdown note on a failed run (called from the on_failure hook, outside the run's
    context: the flow run id is given explicitly)."""
    shown = {k: parameters.get(k) for k in ("scenarios", "draws", "seed", "sampler",
                                             "out_dir")}
    text = "\n".join([f"# chipcast run failed: `{name}`", "", "Nothing was published.", "",
                      "```", message.strip() or "(no message)", "```", "",
                      "Parameters: " + ", ".join(f"{k}={v}" for k, v in shown.items())])
    MarkdownArtifact(key=FAILURE_KEY, markdown=text, flow_run_id=flow_run_id,
                     description="what failed").create()
