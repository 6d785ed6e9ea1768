"""The HTML report: rendered from a small warehouse built with the real schema, marts and
demand model on the fixture data (tests/fixtures/fixture_data.py), then opened in headless
Chromium (tests/fixtures/browser.py)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import browser
import duckdb
import polars as pl
import pytest
from browser import dump_dom, read_png, screenshot
from fixture_data import copy_data

from chipcast.config import RunConfig
from chipcast.inputs import load_inputs
from chipcast.model import outputs
from chipcast.report import fmt_int, nice_step, render_report, report_context
from chipcast.store import warehouse as wh

RUN_ID = "20240601T120000000Z-0a1b2c"
SCENARIOS = ("base", "high", "seed-2023")
EXTRA_SCENARIOS = {
    "scenarios/high.yaml": """name: high
description: twice the users
extends: base
set:
  - {table: usage, firm: '*', metric: dau_target, value: 1e8, unit: users, source: test}
""",
    "scenarios/seed-2023.yaml": """name: seed-2023
description: the article's world in miniature
extends: base
set:
  - {table: model_classes, model_class: c1, metric: compute_multiplier, value: 10, unit: x,
     source: test}
""",
}
# The fixture's all-at-median tornado baseline, as a multiple of the deterministic headline.
TORNADO_BASELINE_RATIO = 1.25
QUANTILES = {0.05: 0.7, 0.10: 0.8, 0.50: 1.0, 0.90: 1.25, 0.95: 1.4}


# --- a small warehouse -------------------------------------------------------------------------


def build_warehouse(folder: Path, *, uncertainty: bool, failed_check: bool = False,
                    total_bands: bool = False) -> duckdb.DuckDBPyConnection:
    """A published run of three scenarios on the tiny inputs; with `uncertainty`, synthetic
    Monte Carlo summaries (quantiles = factors x the point value) and sensitivity rows."""
    data = copy_data(folder / "data", EXTRA_SCENARIOS)
    con = duckdb.connect(str(folder / "chipcast.duckdb"))
    wh.create_schema(con)
    wh.start_run(con, RUN_ID, RunConfig(scenarios=SCENARIOS, draws=64 if uncertainty else 0))
    now = datetime(2024, 6, 1, 12, tzinfo=UTC)
    base_shipped = 0.0
    for scenario in SCENARIOS:
        inputs = load_inputs(data, scenario)
        wh.stage_inputs(con, RUN_ID, scenario, inputs, loaded_at=now)
        frame, heads = outputs.deterministic(inputs)
        wh.write_forecast(con, RUN_ID, frame)
        wh.write_headlines(con, RUN_ID, heads)
        if scenario == "base":
            base_shipped = frame.filter(
                (pl.col("metric") == "a100_equivalents_shipped")
                & pl.col("month").dt.year().is_between(2023, 2030)
            )["value"].sum()
        if uncertainty:
            wh.write_quantiles(con, RUN_ID, _quantiles(frame, total_bands))
    wh.write_validation(con, pl.DataFrame({
        "run_id": [RUN_ID] * 3,
        "suite": ["inputs.chips", "inputs.chips", "outputs.forecast"],
        "expectation": ["expect_column_values_to_be_unique", "expect_column_values_to_not_be_null",
                        "expect_column_values_to_be_between"],
        "column": ["sku", "family", "value"],
        "success": [True, True, not failed_check],
        "unexpected_count": [0, 0, 2 if failed_check else 0],
        "sample": [None, None, "[-1.0, -2.0]" if failed_check else None],
        "checked_at": [now] * 3,
    }))
    if uncertainty:
        wh.append_frame(con, "sensitivity", _sensitivity(base_shipped), {"run_id": RUN_ID})
    wh.finish_run(con, RUN_ID, "published")
    wh.create_marts(con)
    return con


def _quantiles(frame: pl.DataFrame, total_bands: bool) -> pl.DataFrame:
    keep = frame.filter(pl.col("metric").is_in(["a100_equivalents_required", "units_shipped"]))
    if total_bands:  # a producer that also writes the totals of each series
        totals = (keep.group_by("month", "scenario", "sku", "metric", "unit")
                  .agg(pl.col("value").sum() * 3)  # x3: tells totals from summed leaves
                  .with_columns(firm=pl.lit("all"), workload=pl.lit("all")))
        keep = pl.concat([keep, totals.select(keep.columns)])
    parts = [keep.with_columns(stat=pl.lit("quantile"), quantile=pl.lit(q),
                               value=pl.col("value") * f) for q, f in QUANTILES.items()]
    parts.append(keep.with_columns(stat=pl.lit("mean"), quantile=pl.lit(None, pl.Float64),
                                   value=pl.col("value") * 1.02))
    return pl.concat(parts)


def _sensitivity(deterministic: float) -> pl.DataFrame:
    """Tornado and Sobol rows for base's A100-eq shipped 2023-2030. As with right-skewed real
    inputs, the all-at-median baseline lies above the deterministic value (`deterministic`)
    and every bar's [low, high] excludes it, so a chart centred on it would be caught."""
    baseline = TORNADO_BASELINE_RATIO * deterministic
    inputs = ["model_classes:*:mfu", "usage:*:serving_utilization", "usage:*:tokens_per_word"]
    rows = []
    for i, name in enumerate(inputs):
        rows.append(dict(scenario="base", headline="a100e_shipped_2023_2030",
                         input=name, method="tornado", low=baseline * (1 - 0.15 / (i + 1)),
                         high=baseline * (1 + 0.2 / (i + 1)), swing=baseline * 0.35 / (i + 1),
                         baseline=baseline, input_low=0.3 - 0.05 * i, input_high=0.5 + 0.05 * i,
                         unit="A100-eq"))
        rows.append(dict(scenario="base", headline="a100e_shipped_2023_2030",
                         input=name, method="sobol", s1=0.5 / (i + 1), s1_conf=0.02,
                         st=0.55 / (i + 1), st_conf=0.03, unit="A100-eq"))
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    folder = tmp_path_factory.mktemp("report-full")
    con = build_warehouse(folder, uncertainty=True)
    return con, render_report(con, RUN_ID, folder / "report" / f"{RUN_ID}.html")


@pytest.fixture(scope="module")
def full_dom(full: tuple[duckdb.DuckDBPyConnection, Path]) -> Node:
    return parse(dump_dom(full[1]))


# --- a small DOM -------------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def iter(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        found = []
        for c in self.children:
            if (tag is None or c.tag == tag) and (
                    cls is None or cls in c.attrs.get("class", "").split()):
                found.append(c)
            found.extend(c.iter(tag, cls))
        return found

    def by_id(self, id_: str) -> Node:
        hits = [n for n in self.iter() if n.attrs.get("id") == id_]
        assert len(hits) == 1, f"{len(hits)} elements with id {id_}"
        return hits[0]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("#text", {}, text=data))


def parse(html: str) -> Node:
    b = _Builder()
    b.feed(html)
    return b.root


def cells(row: Node) -> list[str]:
    return [" ".join(c.all_text().split()) for c in row.children if c.tag in ("td", "th")]


def table_rows(table: Node) -> list[list[str]]:
    return [cells(r) for r in table.iter("tr") if r.iter("td")]


PATH_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


# --- tests in the browser ----------------------------------------------------------------------


def test_headline_table_shows_the_mart_in_the_browser(full, full_dom) -> None:
    con, _ = full
    mart = con.execute("SELECT scenario, a100_a800_units_shipped_2023_2025, "
                       "peak_installed_units, total_capex_usd FROM mart_scenario_comparison "
                       "WHERE run_id = ?", [RUN_ID]).fetchall()
    rows = {r[0]: r for r in table_rows(full_dom.by_id("headline-table"))}
    assert set(rows) == set(SCENARIOS) == {m[0] for m in mart}
    assert list(rows)[0] == "base"  # base first
    for scenario, shipped, peak, capex in mart:
        assert rows[scenario][1] == fmt_int(shipped)
        assert rows[scenario][3].startswith(fmt_int(peak))
        assert rows[scenario][4] == fmt_int(capex / 1e6)
    assert any(float(m[1]) >= 1000 for m in mart)  # thousands separators were exercised
    assert any("," in r[1] for r in rows.values())


def test_every_chart_is_drawn_with_data_and_a_table(full, full_dom) -> None:
    con, _ = full
    charts = full_dom.iter("svg", "chart")
    months = con.execute("SELECT count(DISTINCT month) FROM mart_demand_monthly "
                         "WHERE run_id = ? AND scenario = 'base'", [RUN_ID]).fetchall()[0][0]
    # 2 A100/A800 + 1 workload + 3 SKU + bands (2 for base, 1 each other) + 1 tornado + seed
    assert len(charts) == 2 + 1 + 3 + 4 + 1 + 1
    footer = full_dom.iter("footer")[0].all_text()
    assert f"{len(charts)} charts" in footer
    for svg in charts:
        assert svg.attrs.get("role") == "img" and svg.attrs.get("aria-label")
        paths = svg.iter("path", "series")
        assert paths, svg.attrs["aria-label"]
        for p in paths:
            numbers = [float(x) for x in PATH_NUMBERS.findall(p.attrs["d"])]
            assert len(numbers) >= 4 and all(math.isfinite(x) for x in numbers)
        ticks = [t.all_text() for t in svg.iter("text", "axis-title")]
        assert ticks and all(t.strip() for t in ticks)  # labelled axes
    for fig in full_dom.iter("figure", "chart-figure"):
        table = fig.iter("details")[0].iter("table")[0]
        if fig.attrs["id"].startswith("tornado"):
            assert len(table_rows(table)) == 3
        else:
            assert len(table_rows(table)) == months, fig.attrs["id"]


def test_no_network_resources(full) -> None:
    html = full[1].read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "<img" not in html
    urls = set(re.findall(r"""(?:src|href)\s*=\s*["']?([a-z]+:)""", html, flags=re.I))
    assert urls == set()
    assert "@import" not in html and "url(" not in html


def test_sections_with_uncertainty_sensitivity_and_seed(full, full_dom) -> None:
    con, _ = full
    bands = full_dom.by_id("uncertainty")
    assert len(bands.iter("svg", "chart")) == 4
    assert len(bands.iter("path", "band")) == 8  # P05-P95 and P10-P90 in each
    for fig in bands.iter("figure"):  # the producer wrote leaves only: bands are sums
        assert "Quantiles summed over" in fig.iter("figcaption")[0].all_text()
    # The base band table's median equals the deterministic total of the same month.
    table = full_dom.by_id("bands-a100-equivalents-required-base").iter("table")[0]
    det = dict(con.execute(
        "SELECT strftime(month, '%Y-%m'), sum(value) FROM mart_demand_monthly WHERE run_id = ? "
        "AND scenario = 'base' AND metric = 'a100_equivalents_required' GROUP BY 1",
        [RUN_ID]).fetchall())
    assert any(v > 0 for v in det.values())
    for row in table_rows(table):
        assert float(row[3].replace(",", "")) == pytest.approx(det[row[0]], abs=0.51)
    tornado = full_dom.by_id("sensitivity")
    labels = [t.all_text() for t in tornado.iter("svg")[0].iter("text", "tick")]
    assert labels.index("model_classes:*:mfu") < labels.index("usage:*:tokens_per_word")
    assert len(tornado.iter("line", "baseline")) == 1  # all inputs at their median
    assert len(tornado.iter("line", "deterministic")) == 1  # a separate, labelled tick
    assert len(tornado.iter("table")) == 2  # tornado data + Sobol
    seed = " ".join(full_dom.by_id("seed-table").all_text().split())
    for figure in ("843", "16,255", "17,098", "1,709,8", "2,000,000"):  # tests/golden/FACTS.md
        assert figure in seed
    assert "needs more than its stated inputs" in full_dom.by_id("seed-gap").all_text()
    assert full_dom.by_id("validation-badge").all_text().strip() == "passed"
    files = table_rows(full_dom.by_id("input-files"))
    shas = {r[2] for r in files}
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in shas)
    stored = {r[0] for r in con.execute("SELECT DISTINCT sha256 FROM input_files "
                                        "WHERE run_id = ?", [RUN_ID]).fetchall()}
    assert shas == stored


def _x(line: Node) -> float:
    assert line.attrs["x1"] == line.attrs["x2"]  # a vertical rule
    return float(line.attrs["x1"])


def test_tornado_bars_start_at_the_all_median_baseline(full, full_dom) -> None:
    con, _ = full
    rows = con.execute(
        "SELECT input, low, high, baseline FROM sensitivity WHERE run_id = ? AND scenario = "
        "'base' AND headline = 'a100e_shipped_2023_2030' AND method = 'tornado'",
        [RUN_ID]).fetchall()
    det = con.execute("SELECT a100e_shipped_2023_2030 FROM mart_scenario_comparison "
                      "WHERE run_id = ? AND scenario = 'base'", [RUN_ID]).fetchall()[0][0]
    baseline = rows[0][3]
    assert det > 0 and len(rows) == 3
    # The test could fail: the deterministic value is outside every bar, the baseline inside.
    assert all(not lo <= det <= hi and lo <= baseline <= hi for _, lo, hi, _ in rows)
    figure = full_dom.by_id("tornado-a100e-shipped-2023-2030-base")
    svg = figure.iter("svg", "tornado")[0]
    x_base = _x(svg.iter("line", "baseline")[0])
    x_det = _x(svg.iter("line", "deterministic")[0])
    assert x_det < x_base - 20  # drawn apart, deterministic to the left (below the median)

    def x_at(v: float) -> float:  # the axis, from the two labelled rules
        return x_det + (v - det) * (x_base - x_det) / (baseline - det)

    def input_of(bar: Node) -> str:  # the bar's <title>: "<param id>: input at its P10 ..."
        return bar.iter("title")[0].all_text().rsplit(": input at its", 1)[0]

    by_input = {name: (lo, hi) for name, lo, hi, _ in rows}
    drawn = {(input_of(b), cls): b for b in svg.iter("path", "bar")
             for cls in ("low", "high") if cls in b.attrs["class"].split()}
    assert {name for name, _ in drawn} == set(by_input) and len(drawn) == 6
    for (name, cls), bar in drawn.items():
        end = by_input[name][0 if cls == "low" else 1]
        x0, x1 = [float(v) for v in PATH_NUMBERS.findall(bar.attrs["d"])][0:3:2]
        assert x0 == pytest.approx(min(x_base, x_at(end)), abs=0.2), (name, cls)
        assert x1 == pytest.approx(max(x_base, x_at(end)), abs=0.2), (name, cls)
    legend = figure.iter("ul", "legend")[0].all_text()
    assert "all inputs at their median" in legend and "deterministic forecast" in legend
    assert "deterministic value" not in figure.all_text()


def test_screenshot_is_a_drawn_page(full, tmp_path: Path) -> None:
    png = read_png(screenshot(full[1], tmp_path / "report.png", width=1000, height=1300))
    assert (png.width, png.height) == (1000, 1300)
    colours = png.colours(step=3)
    total = sum(colours.values())
    white = colours.get((255, 255, 255), 0)
    assert len(colours) > 50  # text, rules and chart colours, not one flat fill
    assert 0.02 < 1 - white / total < 0.7
    # The base scenario's line colour (#0072B2) is on screen (the first chart).
    near = sum(n for c, n in colours.items()
               if abs(c[0] - 0x00) + abs(c[1] - 0x72) + abs(c[2] - 0xB2) < 40)
    assert near > 20


def test_deterministic_only_run_renders_sensibly(tmp_path: Path) -> None:
    con = build_warehouse(tmp_path, uncertainty=False, failed_check=True)
    out = render_report(con, RUN_ID, tmp_path / "r.html")
    dom = parse(dump_dom(out))
    assert len(table_rows(dom.by_id("headline-table"))) == len(SCENARIOS)
    assert "--draws" in dom.by_id("no-bands").all_text()
    dom.by_id("no-sensitivity")
    assert dom.by_id("uncertainty").iter("svg") == []
    assert len(dom.iter("svg", "chart")) == 2 + 1 + 3 + 1
    assert dom.by_id("validation-badge").all_text().strip() == "FAILED"
    failure = table_rows(dom.by_id("validation-failures"))
    assert failure == [["outputs.forecast", "expect_column_values_to_be_between", "value", "2",
                        "[-1.0, -2.0]"]]


# --- tests without the browser -----------------------------------------------------------------


def test_bands_prefer_total_rows_over_summed_leaves(tmp_path: Path) -> None:
    con = build_warehouse(tmp_path, uncertainty=True, total_bands=True)
    ctx = report_context(con, RUN_ID)
    chart = next(c for c in ctx["charts"]["bands"]
                 if c.id == "bands-a100-equivalents-required-base")
    assert chart.note == ""  # one total row per month: nothing summed
    det = {r[0]: r[1] for r in con.execute(
        "SELECT strftime(month, '%Y-%m'), sum(value) FROM mart_demand_monthly WHERE run_id = ? "
        "AND scenario = 'base' AND metric = 'a100_equivalents_required' GROUP BY 1",
        [RUN_ID]).fetchall()}
    p50 = {row[0]: float(row[3].replace(",", "")) for row in chart.table.rows}
    assert any(v > 0 for v in det.values())
    for month, value in det.items():  # totals were written as 3x the leaves' sum
        assert p50[month] == pytest.approx(3 * value, abs=1.6)


def test_partial_totals_are_not_summed_as_leaves(tmp_path: Path) -> None:
    """Monte Carlo writes firm 'all' per workload: such rows are totals, not more leaves."""
    con = build_warehouse(tmp_path, uncertainty=True, total_bands=False)

    def p50() -> dict[str, str]:
        chart = next(c for c in report_context(con, RUN_ID)["charts"]["bands"]
                     if c.id == "bands-a100-equivalents-required-base")
        return {row[0]: row[3] for row in chart.table.rows}

    before = p50()
    con.execute(
        "INSERT INTO forecast_quantiles BY NAME SELECT run_id, scenario, month, 'all' AS firm, "
        "workload, sku, metric, stat, quantile, sum(value) * 1000 AS value, unit "
        "FROM forecast_quantiles WHERE run_id = ? AND metric = 'a100_equivalents_required' "
        "GROUP BY ALL", [RUN_ID])
    assert p50() == before


def test_unknown_run_is_an_error(full) -> None:
    with pytest.raises(ValueError, match="not in the warehouse"):
        report_context(full[0], "no-such-run")


@pytest.mark.parametrize("span", [0.7, 1, 3, 9.9, 48, 1234, 7.2e6])
def test_nice_step_gives_a_few_round_intervals(span: float) -> None:
    step = nice_step(span)
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 9) in (1, 2, 2.5, 5)
    assert 2 <= math.ceil(span / step) <= 5


def test_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser, "CANDIDATES", ("no-such-chromium-binary",))
    page = tmp_path / "p.html"
    page.write_text("<html></html>", encoding="utf-8")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="apt-get install"):
        dump_dom(page)
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        dump_dom(page)
