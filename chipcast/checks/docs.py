"""Great Expectations Data Docs of a run's check results, as static HTML built offline.

A run keeps each check report as JSON in `forecasts/validation/<run_id>/<report>.json`
(CheckReport.write_json: {"success", "suites": {suite: GX validation result}}). For each
suite GX's own renderer (ValidationResultsPageRenderer + DefaultJinjaPageView, the pages of a
Data Docs site) writes `validations/<report>/<suite parts>/result/index.html`, at the depth of a
GX site's validation pages so their "Home" link reaches `index.html`. The index is a plain HTML
page (no scripts; GX's own index fills its table with JavaScript from the web): one row per
suite with its counts, a link to its page, and each failed expectation's message and fix.
GX's pages load their styles from the web when online; offline they read as plain HTML.
"""

from __future__ import annotations

import html
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

INDEX = "index.html"
PAGES = "validations"


@cache
def _page_view() -> Any:
    """One GX page view per process: its Jinja environment compiles GX's templates on first use
    and keeps them, where a new view per page compiled them again (about 1 s a page, 40 s of a
    default run)."""
    from great_expectations.render.view import DefaultJinjaPageView

    return DefaultJinjaPageView()


# Pages already rendered in this process, by the suite result's JSON text: the scenarios of a
# run share most input suites' results (chipcast.checks.engine reuses a passed suite), and
# GX's renderer costs ~0.1-0.2 s a page. Bounded: emptied when full.
_PAGES: dict[str, str] = {}
_PAGES_MAX = 512


def _render_page(result: dict[str, Any]) -> str:
    """One suite's validation result as a GX Data Docs page (HTML text)."""
    key = json.dumps(result, sort_keys=True, default=str)
    page = _PAGES.get(key)
    if page is None:
        if len(_PAGES) >= _PAGES_MAX:
            _PAGES.clear()
        page = _PAGES[key] = _render_new_page(result)
    return page


def _render_new_page(result: dict[str, Any]) -> str:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.render.renderer import ValidationResultsPageRenderer

    loaded = ExpectationSuiteValidationResultSchema().load(result)
    return _page_view().render(ValidationResultsPageRenderer().render(loaded))


def page_path(folder: Path, report: str, suite: str) -> Path:
    """Where a suite's page of the report `<report>.json` goes: GX links "Home" one level up
    per '.'-separated part of the suite name plus three, as in a GX site's
    validations/<suite parts>/<run>/<time>/ layout."""
    return Path(folder, PAGES, report, *suite.split("."), "result", INDEX)


def render_pages(json_path: Path) -> list[Path]:
    """Write the Data Docs page of every suite of one check report JSON; returns the pages."""
    json_path = Path(json_path)
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    pages = []
    for suite, result in sorted(doc.get("suites", {}).items()):
        path = page_path(json_path.parent, json_path.stem, suite)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render_page(result), encoding="utf-8")
        pages.append(path)
    return pages


def _failures(result: dict[str, Any]) -> list[str]:
    out = []
    for res in result.get("results", []):
        if res.get("success"):
            continue
        config = res.get("expectation_config") or {}
        meta = config.get("meta") or {}
        kwargs = config.get("kwargs") or {}
        column = kwargs.get("column") or kwargs.get("column_A") or ""
        count = (res.get("result") or {}).get("unexpected_count")
        text = meta.get("message") or config.get("type", "expectation")
        where = f" [{column}]" if column else ""
        rows = f" ({count} rows)" if count else ""
        fix = f" Fix: {meta['hint']}" if meta.get("hint") else ""
        out.append(f"{text}{where}{rows}.{fix}")
    return out


STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.ok { color: #17622b; } .failed { color: #a11; font-weight: bold; }
td.n { text-align: right; }
"""


def write_index(folder: Path, title: str = "") -> Path:
    """(Re)write `<folder>/index.html` from every check report JSON in the folder."""
    folder = Path(folder)
    rows = []
    total = failed_total = 0
    suites = [(json_path, suite, result) for json_path in sorted(folder.glob("*.json"))
              for suite, result in json.loads(json_path.read_text(encoding="utf-8"))
              .get("suites", {}).items()]
    # failed suites first, then by report and suite name
    for json_path, suite, result in sorted(
            suites, key=lambda s: (bool(s[2].get("success")), s[0].stem, s[1])):
        stats = result.get("statistics") or {}
        n = int(stats.get("evaluated_expectations") or 0)
        bad = int(stats.get("unsuccessful_expectations") or 0)
        total += n
        failed_total += bad
        page = page_path(folder, json_path.stem, suite)
        link = (f'<a href="{html.escape(str(page.relative_to(folder)))}">'
                f"{html.escape(suite)}</a>" if page.exists() else html.escape(suite))
        status = ('<span class="ok">passed</span>' if result.get("success")
                  else '<span class="failed">FAILED</span>')
        notes = "<br>".join(html.escape(f) for f in _failures(result))
        rows.append(f"<tr><td>{html.escape(json_path.stem)}</td><td>{link}</td>"
                    f"<td>{status}</td><td class=n>{n}</td><td class=n>{bad}</td>"
                    f"<td>{notes}</td></tr>")
    heading = html.escape(title or f"Check results {folder.name}")
    summary = (f"{total} expectations, {failed_total} failed" if rows
               else "no check results in this folder")
    text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>{STYLE}</style></head>
<body>
<h1>{heading}</h1>
<p>{summary}. Each suite links to its Great Expectations Data Docs page; the raw results are
the JSON files beside this page.</p>
<table>
<tr><th>report</th><th>suite</th><th>result</th><th>expectations</th><th>failed</th>
<th>what failed, and the fix</th></tr>
{chr(10).join(rows)}
</table>
</body></html>
"""
    path = folder / INDEX
    tmp = folder / f".{INDEX}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def build_data_docs(json_path: Path, title: str = "") -> Path:
    """Render one check report's pages and refresh its folder's index; returns the index."""
    render_pages(json_path)
    return write_index(Path(json_path).parent, title)
