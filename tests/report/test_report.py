"""The HTML report: rendered from a small warehouse built with the real schema, marts and
demand model (tests/fixtures/reportdata.py on the fixture data), then opened in headless Chromium
(tests/fixtures/browser.py)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import browser
import duckdb
import polars as pl
import pytest
from browser import dump_dom, read_png, screenshot
from dom import Node, parse, table_rows
from reportdata import ARTICLE, RUN_ID, SCENARIOS, build_tiny

from chipcast.contracts import A100_FAMILIES, ALL, HEADLINES
from chipcast.report import render_report, report_context
from chipcast.report.data import EXPORTED_VIEWS, rows
from chipcast.report.fmt import fmt_int
from chipcast.report.sections import Chart
from chipcast.store.warehouse import export_parquet


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, Path]:
    folder = tmp_path_factory.mktemp("report-full")
    con = build_tiny(folder, uncertainty=True)
    return con, render_report(con, RUN_ID, folder / "report" / f"{RUN_ID}.html")


@pytest.fixture(scope="module")
def full_dom(full: tuple[duckdb.DuckDBPyConnection, Path]) -> Node:
    return parse(dump_dom(full[1]))


NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


def path_numbers(group: Node) -> list[float]:
    """The coordinates of the first <path> in a chart mark's group."""
    return [float(x) for x in NUMBERS.findall(group.iter("path")[0].attrs["d"])]


def chart_by_id(ctx: dict, chart_id: str) -> Chart:
    found = [i for s in ctx["sections"] for i in s.items
             if isinstance(i, Chart) and i.id == chart_id]
    assert len(found) == 1, chart_id
    return found[0]


def need_by_month(con: duckdb.DuckDBPyConnection, scenario: str) -> dict[str, float]:
    """Deterministic required compute of a scenario by month (YYYY-MM), summed here over the
    forecast's per-buyer x workload rows (the total rows, 'all', are not added in)."""
    return dict(con.execute(
        "SELECT strftime(month, '%Y-%m'), sum(value) FROM forecast WHERE run_id = ? "
        "AND scenario = ? AND metric = 'a100_equivalents_required' AND firm <> ? "
        "AND workload <> ? GROUP BY 1", [RUN_ID, scenario, ALL, ALL]).fetchall())


# --- tests in the browser ----------------------------------------------------------------------


def test_headline_table_shows_the_mart_in_the_browser(full, full_dom) -> None:
    con, _ = full
    names = list(HEADLINES)
    mart = con.execute(f"SELECT scenario, {', '.join(names)}, peak_month "  # noqa: S608 registry names
                       "FROM mart_scenario_comparison WHERE run_id = ?", [RUN_ID]).fetchall()
    table = full_dom.by_id("headline-table")
    header = [" ".join(th.all_text().split()) for th in table.iter("thead")[0].iter("th")]
    for h in HEADLINES.values():  # one column per registry headline, labelled from it
        assert any(cell.startswith(h.label) for cell in header), h.label
    body = {r[0]: r for r in table_rows(table)}
    assert set(body) == set(SCENARIOS) == {m[0] for m in mart}
    assert list(body)[0] == "base"  # base first
    for row in mart:
        scenario, values, peak_month = row[0], row[1:-1], row[-1]
        for i, (name, value) in enumerate(zip(names, values, strict=True)):
            unit = header[i + 1]
            shown = body[scenario][i + 1]
            div = 1e6 if "million" in unit else 1.0
            assert shown.split(" (")[0] == fmt_int(value / div), (scenario, name)
        if peak_month:
            assert f"({peak_month:%Y-%m})" in body[scenario][names.index("peak_installed_units")
                                                              + 1]
    assert any("," in c for r in body.values() for c in r[1:])  # thousands separators


def test_every_chart_is_drawn_with_data_and_a_table(full, full_dom) -> None:
    con, _ = full
    charts = full_dom.iter("svg", "chart")
    months = con.execute("SELECT count(DISTINCT month) FROM mart_demand_monthly "
                         "WHERE run_id = ? AND scenario = 'base'", [RUN_ID]).fetchall()[0][0]
    # 2 A100-family comparisons + base workloads + required by scenario + base SKUs + 2 base
    # bands + medians by scenario + 1 tornado (base's one headline) + the seed chart
    assert len(charts) == 2 + 1 + 1 + 1 + 2 + 1 + 1 + 1
    footer = full_dom.iter("footer")[0].all_text()
    assert f"{len(charts)} charts" in footer
    for svg in charts:
        assert svg.attrs.get("role") == "img" and svg.attrs.get("aria-label")
        assert svg.iter("title")[0].all_text() == svg.attrs["aria-label"]
        marks = svg.iter("g", "series") + svg.iter("g", "bar")
        assert marks, svg.attrs["aria-label"]
        for mark in marks:
            numbers = path_numbers(mark)
            assert len(numbers) >= 4 and all(math.isfinite(x) for x in numbers)
        titles = [t.all_text() for t in svg.iter("g", "axis-title")]
        assert titles and all(t.strip() for t in titles)  # labelled axes
        assert 2 <= len(svg.iter("g", "ytick")) <= 12 and 2 <= len(svg.iter("g", "xtick")) <= 12
    ids = [n.attrs["id"] for n in full_dom.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids))  # many SVGs, one id space
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
    assert "@import" not in html
    # url() only points inside the page (clip paths of the inline SVGs)
    assert set(re.findall(r"url\((.)", html)) <= {"#"}


def test_sections_with_uncertainty_sensitivity_and_seed(full, full_dom) -> None:
    con, _ = full
    bands = full_dom.by_id("uncertainty")
    assert len(bands.iter("svg", "chart")) == 3  # base: two series; medians by scenario
    assert len(bands.iter("g", "band")) == 4  # P05-P95 and P10-P90 in each base chart
    # The producer wrote the total of required compute: its band is that row's, not a sum;
    # A100-family units are the family's SKUs' bands summed (A100 and A800: two series).
    required = full_dom.by_id("bands-a100-equivalents-required-base")
    assert "Quantiles summed over" not in required.all_text()
    family = con.execute("SELECT count(*) FROM stg_chips WHERE run_id = ? AND scenario = 'base' "
                         "AND list_contains(?, family)", [RUN_ID, list(A100_FAMILIES)]
                         ).fetchall()[0][0]
    units = full_dom.by_id("bands-a100-a800-units-shipped-base")
    assert family == 2
    assert f"Quantiles summed over {family} series" in units.iter("figcaption")[0].all_text()
    # The base band table's median equals the deterministic total of the same month.
    table = required.iter("table")[0]
    det = need_by_month(con, "base")
    assert any(v > 0 for v in det.values())
    for row in table_rows(table):
        assert float(row[3].replace(",", "")) == pytest.approx(det[row[0]], abs=0.51)
    # Other scenarios: their bands as tables (folded), the same numbers
    high = table_rows(full_dom.by_id("bands-a100-equivalents-required-high").iter("table")[0])
    high_det = need_by_month(con, "high")
    assert len(high) == len(high_det)
    for row in high:
        assert float(row[3].replace(",", "")) == pytest.approx(high_det[row[0]], abs=0.51)
    tornado = full_dom.by_id("sensitivity")
    labels = [t.all_text() for t in tornado.iter("svg")[0].iter("g", "ytick")]
    assert labels.index("model_classes:*:mfu") < labels.index("usage:*:tokens_per_word")
    assert len(tornado.iter("g", "baseline")) == 1  # all inputs at their median
    assert len(tornado.iter("g", "deterministic")) == 1  # a separate, labelled rule
    assert len(tornado.iter("table")) == 2  # tornado data + Sobol
    assert full_dom.by_id("validation-badge").all_text().strip() == "passed"
    files = table_rows(full_dom.by_id("input-files"))
    shas = {r[2] for r in files}
    assert all(re.fullmatch(r"[0-9a-f]{64}", s) for s in shas)
    stored = {r[0] for r in con.execute("SELECT DISTINCT sha256 FROM input_files "
                                        "WHERE run_id = ?", [RUN_ID]).fetchall()}
    assert shas == stored


def test_seed_section_restates_the_article_from_the_staged_seed_inputs(full, full_dom) -> None:
    """The tiny world's seed scenario carries the article's inputs (reportdata.ARTICLE) but
    only two firms: the report must get the article's per-model figures (FACTS.md: 843 and
    16,255) and scale them by this run's firms and multiplier, not by the article's ten."""
    con, _ = full
    a = ARTICLE
    train = 6 * a["params"] * a["tokens"] / (a["tflops"] * 1e12 * a["mfu"] * a["days"] * 86_400)
    tokens = a["dau"] * a["questions"] * a["words"] * a["tokens_per_word"]
    serve = 2 * a["params"] * tokens / (a["tflops"] * 1e12 * a["utilization"] * 86_400)
    firms = con.execute("SELECT count(DISTINCT firm) FROM stg_model_releases WHERE run_id = ? "
                        "AND scenario = 'seed-2023'", [RUN_ID]).fetchall()[0][0]
    stated = firms * a["multiplier"] * (train + serve)
    assert firms == 2 and round(train) == 843 and round(serve) == 16_255  # FACTS.md S7, S10
    rows_ = {r[0]: r for r in table_rows(full_dom.by_id("seed-table"))}
    values = {k: float(r[1].lstrip("> ").replace(",", "")) for k, r in rows_.items()}
    steps = list(values)
    assert values[steps[0]] == round(train) and values[steps[1]] == round(serve)
    assert values["Per model"] == round(train + serve) == 17_098
    assert values[steps[3]] == round(stated) and steps[3].startswith("2 firms × 10×")
    assert values["The article's claim"] == 2_000_000
    peak = max(need_by_month(con, "seed-2023").values())
    model_row = next(k for k in steps if k.startswith("This run's"))
    assert values[model_row] == round(peak)
    assert f"{peak / stated:.4f} × the restated arithmetic" in rows_[model_row][2]
    gap = " ".join(full_dom.by_id("seed-gap").all_text().split())
    assert "needs more than its stated inputs" in gap
    assert f"{2e6 / stated:.2f}×" in gap
    assert f"{10 * 2e6 / stated:.1f}× instead of 10×" in gap
    assert full_dom.by_id("seed-2023-chart").iter("svg", "chart")


def _x(rule: Node) -> float:
    x0, _, x1, _ = path_numbers(rule)
    assert x0 == x1  # a vertical rule
    return x0


def test_tornado_bars_start_at_the_all_median_baseline(full, full_dom) -> None:
    con, _ = full
    sens = con.execute(
        "SELECT input, low, high, baseline FROM sensitivity WHERE run_id = ? AND scenario = "
        "'base' AND headline = 'a100e_shipped_2023_2030' AND method = 'tornado'",
        [RUN_ID]).fetchall()
    det = con.execute("SELECT a100e_shipped_2023_2030_deterministic FROM "
                      "mart_scenario_comparison WHERE run_id = ? AND scenario = 'base'",
                      [RUN_ID]).fetchall()[0][0]
    baseline = sens[0][3]
    assert det > 0 and len(sens) == 3
    # The test could fail: the deterministic value is outside every bar, the baseline inside.
    assert all(not lo <= det <= hi and lo <= baseline <= hi for _, lo, hi, _ in sens)
    figure = full_dom.by_id("tornado-a100e-shipped-2023-2030-base")
    svg = figure.iter("svg", "tornado")[0]
    x_base = _x(svg.iter("g", "baseline")[0])
    x_det = _x(svg.iter("g", "deterministic")[0])
    assert x_det < x_base - 20  # drawn apart, deterministic to the left (below the median)

    def x_at(v: float) -> float:  # the axis, from the two labelled rules
        return x_det + (v - det) * (x_base - x_det) / (baseline - det)

    def input_of(bar: Node) -> str:  # the bar's <title>: "<param id>: input at its P10 ..."
        return bar.iter("title")[0].all_text().rsplit(": input at its", 1)[0]

    by_input = {name: (lo, hi) for name, lo, hi, _ in sens}
    drawn = {(input_of(b), cls): b for b in svg.iter("g", "bar")
             for cls in ("low", "high") if cls in b.attrs["class"].split()}
    assert {name for name, _ in drawn} == set(by_input) and len(drawn) == 6
    for (name, cls), bar in drawn.items():
        end = by_input[name][0 if cls == "low" else 1]
        xs = path_numbers(bar)[0::2]
        assert min(xs) == pytest.approx(min(x_base, x_at(end)), abs=0.2), (name, cls)
        assert max(xs) == pytest.approx(max(x_base, x_at(end)), abs=0.2), (name, cls)
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
    con = build_tiny(tmp_path, uncertainty=False, failed_check=True)
    out = render_report(con, RUN_ID, tmp_path / "r.html")
    dom = parse(dump_dom(out))
    assert len(table_rows(dom.by_id("headline-table"))) == len(SCENARIOS)
    assert "--draws" in dom.by_id("no-bands").all_text()
    dom.by_id("no-sensitivity")
    assert dom.by_id("uncertainty").iter("svg") == []
    assert len(dom.iter("svg", "chart")) == 2 + 1 + 1 + 1 + 1
    assert dom.by_id("validation-badge").all_text().strip() == "FAILED"
    failure = table_rows(dom.by_id("validation-failures"))
    assert failure == [["outputs.forecast", "expect_column_values_to_be_between", "value", "2",
                        "[-1.0, -2.0]"]]


# --- tests without the browser -----------------------------------------------------------------


def test_a_run_without_the_seed_scenario_has_no_seed_section(tmp_path: Path) -> None:
    con = build_tiny(tmp_path, uncertainty=False, scenarios=("base", "high"))
    ctx = report_context(con, RUN_ID)
    assert ctx["seed"] is None
    html = render_report(con, RUN_ID, tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="seed-2023"' not in html and "Seed-2023 reconciliation" not in html
    assert 'id="headline-table"' in html


def test_a100_family_is_a_bound_list(full) -> None:
    """The family filter comes from chipcast.contracts.A100_FAMILIES as a parameter: bound to
    another family, the same query counts that family's units instead."""
    con, _ = full
    expected = dict(con.execute(  # the forecast's per-SKU rows (all buyers and workloads)
        "SELECT c.family, sum(f.value) FROM forecast AS f JOIN stg_chips AS c ON "
        "c.run_id = f.run_id AND c.scenario = f.scenario AND c.sku = f.sku WHERE f.run_id = ? "
        "AND f.scenario = 'base' AND f.metric = 'units_shipped' AND f.firm = ? "
        "AND f.workload = ? GROUP BY 1", [RUN_ID, ALL, ALL]).fetchall())
    for families in (list(A100_FAMILIES), ["910"]):
        found = rows(con, "a100_a800_monthly", run_id=RUN_ID, families=families)
        total = sum(r["units_shipped"] for r in found if r["scenario"] == "base")
        assert total == pytest.approx(sum(expected.get(f, 0.0) for f in families))
        assert total > 0


def test_bands_prefer_total_rows_over_summed_leaves(tmp_path: Path) -> None:
    con = build_tiny(tmp_path, uncertainty=True, bands="totals-3x")
    chart = chart_by_id(report_context(con, RUN_ID), "bands-a100-equivalents-required-base")
    assert chart.note == ""  # one total row per month: nothing summed
    det = need_by_month(con, "base")
    p50 = {row[0]: float(row[3].replace(",", "")) for row in chart.table.rows}
    assert any(v > 0 for v in det.values())
    for month, value in det.items():  # totals were written as 3x the leaves' sum
        assert p50[month] == pytest.approx(3 * value, abs=1.6)


def test_partial_totals_are_not_summed_as_leaves(tmp_path: Path) -> None:
    """A producer of leaves only (per buyer x workload): the band is their sum. Partial totals
    (firm 'all' per workload) added later are totals, not more leaves."""
    con = build_tiny(tmp_path, uncertainty=True, bands="leaves")
    leaves = con.execute("SELECT count(DISTINCT (firm, workload)) FROM forecast WHERE run_id = ? "
                         "AND scenario = 'base' AND metric = 'a100_equivalents_required' AND "
                         "firm <> ? AND workload <> ?", [RUN_ID, ALL, ALL]).fetchall()[0][0]
    assert leaves == 4  # firms a and b, training and inference
    chart = chart_by_id(report_context(con, RUN_ID), "bands-a100-equivalents-required-base")
    assert chart.note.startswith(f"Quantiles summed over {leaves} series")
    det = need_by_month(con, "base")
    for row in chart.table.rows:  # the medians' sum is the deterministic total
        assert float(row[3].replace(",", "")) == pytest.approx(det[row[0]], abs=0.51)

    def p50() -> dict[str, str]:
        chart = chart_by_id(report_context(con, RUN_ID), "bands-a100-equivalents-required-base")
        return {row[0]: row[3] for row in chart.table.rows}

    before = p50()
    con.execute(
        "INSERT INTO forecast_quantiles BY NAME SELECT run_id, scenario, month, ? AS firm, "
        "workload, sku, vendor, metric, stat, quantile, sum(value) * 1000 AS value, unit, "
        "calibration FROM forecast_quantiles WHERE run_id = ? "
        "AND metric = 'a100_equivalents_required' GROUP BY ALL", [ALL, RUN_ID])
    assert p50() == before


def _number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_required_by_workload_stacks_each_workload_once(full) -> None:
    """The stacked areas are the workloads, each summed over the buyers (not their totals
    again): columns training, inference and their total, the total the month's need."""
    con, _ = full
    chart = chart_by_id(report_context(con, RUN_ID), "required-by-workload-base")
    unit = "A100-eq"
    assert chart.table.columns == ["month", f"training ({unit})", f"inference ({unit})",
                                   f"total ({unit})"]
    by_workload = {(m, w): v for m, w, v in con.execute(
        "SELECT strftime(month, '%Y-%m'), workload, sum(value) FROM forecast WHERE run_id = ? "
        "AND scenario = 'base' AND metric = 'a100_equivalents_required' AND firm <> ? "
        "AND workload <> ? GROUP BY ALL", [RUN_ID, ALL, ALL]).fetchall()}
    need = need_by_month(con, "base")
    assert len(chart.table.rows) == len(need) and max(need.values()) > 0
    for month, training, inference, total in chart.table.rows:
        assert _number(training) == pytest.approx(by_workload[(month, "training")], abs=0.51)
        assert _number(inference) == pytest.approx(by_workload[(month, "inference")], abs=0.51)
        assert _number(total) == pytest.approx(need[month], abs=0.51)


def test_units_by_sku_are_the_chips_per_sku_rows(full) -> None:
    """One area per chip that ships, its units the forecast's per-SKU row (all buyers): no
    'all' SKU, no vendor totals stacked on top."""
    con, _ = full
    chart = chart_by_id(report_context(con, RUN_ID), "units-by-sku-base")
    expected = {(m, s): v for m, s, v in con.execute(
        "SELECT strftime(month, '%Y-%m'), sku, value FROM forecast WHERE run_id = ? "
        "AND scenario = 'base' AND metric = 'units_shipped' AND firm = ? AND workload = ? "
        "AND sku <> ?", [RUN_ID, ALL, ALL, ALL]).fetchall()}
    chips = {r[0] for r in con.execute("SELECT sku FROM stg_chips WHERE run_id = ? AND "
                                       "scenario = 'base'", [RUN_ID]).fetchall()}
    skus = [c.removesuffix(" (units/month)") for c in chart.table.columns[1:]]
    assert skus and set(skus) <= chips  # chips that ship (every fixture chip does)
    assert {s for (_, s), v in expected.items() if v > 0} == set(skus)
    for row in chart.table.rows:
        for sku, cell in zip(skus, row[1:], strict=True):
            assert _number(cell) == pytest.approx(expected[(row[0], sku)], abs=0.51)


def test_unknown_run_is_an_error(full) -> None:
    with pytest.raises(ValueError, match="not in the warehouse"):
        report_context(full[0], "no-such-run")


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


def _blank_time(html: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", "<time>", html)


@pytest.mark.parametrize("bands", ["series", "leaves"])
def test_report_from_the_exported_views_is_the_report_from_the_views(bands: str,
                                                                     tmp_path: Path) -> None:
    """The publish flow hands render_report the Parquet folder it has just exported: the page
    must be the one the views give, with banded and per-SKU charts on it."""
    con = build_tiny(tmp_path, uncertainty=True, bands=bands)
    exported = tmp_path / "exports"
    export_parquet(con, RUN_ID, exported)
    from_view = render_report(con, RUN_ID, tmp_path / "view.html").read_text(encoding="utf-8")
    from_files = render_report(con, RUN_ID, tmp_path / "file.html",
                               exports=exported).read_text(encoding="utf-8")
    for chart in ("bands-a100-equivalents-required-base", "units-by-sku-base",
                  "required-by-workload-base"):
        assert f'id="{chart}"' in from_view, chart
    assert _blank_time(from_files) == _blank_time(from_view)
    # and the files are what is read: without their rows those charts are gone
    empty = tmp_path / "empty"
    empty.mkdir()
    for view in EXPORTED_VIEWS:
        pl.read_parquet(exported / f"{view}.parquet").clear().write_parquet(
            empty / f"{view}.parquet")
    without = render_report(con, RUN_ID, tmp_path / "empty.html", exports=empty).read_text(
        encoding="utf-8")
    for chart in ("bands-a100-equivalents-required-base", "units-by-sku-base",
                  "required-by-workload-base"):
        assert f'id="{chart}"' not in without, chart
