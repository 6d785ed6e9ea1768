"""The published HTML report of a run: one self-contained file (inline CSS and SVG, no scripts,
no network) for analysts.

`render_report(con, run_id, out_path)` reads the run's rows (`data`, queries in sql/report/),
turns them into sections of charts and tables (`sections`, figures drawn by `charts` with
matplotlib as inline SVG), restates the founding article's arithmetic from the run's seed
inputs (`seed`) and fills the Jinja2 template templates/report.html.j2. Every chart has a data
table beside it (in a <details> element) so the numbers are readable without the picture.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2

from chipcast import __version__
from chipcast.report import data, sections
from chipcast.report.fmt import fmt_int, fmt_month, fmt_num, fmt_time
from chipcast.report.seed import reconcile

__all__ = ["TEMPLATES", "render_report", "report_context"]

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,  # a template typo fails the render, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(int=fmt_int, num=fmt_num, month=fmt_month, time=fmt_time)
    return env


def report_context(con: duckdb.DuckDBPyConnection, run_id: str,
                   exports: Path | None = None) -> dict[str, Any]:
    """Everything the template shows for a run (raises ValueError for an unknown run).
    `exports`: the Parquet folder chipcast.store.warehouse.export_parquet has just written from
    `con`'s file; the views it holds (data.EXPORTED_VIEWS) are read from it instead of being
    computed again."""
    d = data.load(con, run_id, exports)
    parts = sections.build_sections(d)
    seed = None
    if d.seed is not None:
        seed = reconcile(d.seed)
        seed["chart"] = sections.seed_chart(d)
    failed = sum(s["failed"] for s in d.suites)
    expectations = sum(s["expectations"] for s in d.suites)
    return {
        "run_id": run_id,
        "run": d.run,
        "scenarios": d.scenarios,
        "primary": d.primary,
        "comparison": sections.headline_rows(d),
        "headline_columns": sections.headline_columns(d),
        "sections": parts,
        "seed": seed,
        "validation": {
            "suites": d.suites, "failures": d.failures, "expectations": expectations,
            "failed": failed,
            "status": "none" if not expectations else ("failed" if failed else "passed"),
        },
        "files": d.files,
        "n_scenarios_total": len(d.scenarios),
        "n_charts": sum(s.charts for s in parts) + bool(seed and seed["chart"]),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }


def render_report(con: duckdb.DuckDBPyConnection, run_id: str, out_path: Path,
                  exports: Path | None = None) -> Path:
    """Write the run's self-contained HTML report to `out_path` (parents created; the file is
    replaced atomically) and return the path. Reads the mart views and the run's tables
    through `con`; renders with only deterministic rows (bands and sensitivity optional).
    `exports`: see report_context (the same report, sooner)."""
    html = _environment().get_template("report.html.j2").render(
        **report_context(con, run_id, exports))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path
