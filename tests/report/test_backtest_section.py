"""The report's back-test section, its calibrated-against-prior fan charts, the given-data
sensitivity table and the headline table's published point, rendered from a small published
run written with the real schema and marts (tests/fixtures/backtest_report.py). Expected
values come from the rows the fixture wrote (back-test quantiles, bands, sensitivity,
headlines), recomputed here: coverage, out-of-sample counts, ratios and widths."""

from __future__ import annotations

import math
import re
import statistics
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from backtest_report import (
    A100_BAND,
    BAND_POSTERIOR,
    BAND_PRIOR,
    DETERMINISTIC,
    DRAWS,
    GIVEN_INPUTS,
    KEPT,
    MONTHS,
    OTHER,
    POSTERIOR_P50,
    PRIMARY,
    PRIOR_P50,
    RUN_ID,
    SCALES,
    SEED,
    SEED_ZERO,
    SENS_HEADLINE,
    Written,
    build,
)
from browser import dump_dom
from dom import Node, header, parse, table_rows

from chipcast.contracts import HEADLINES
from chipcast.report import render_report
from chipcast.store import warehouse as wh

FIT_UNTIL = date(2024, 12, 1)  # figures published by 2024-12-31 are fitted
SUFFIX = {"k": 1e3, "M": 1e6, "bn": 1e9, "tn": 1e12}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _render(folder: Path, **kwargs) -> tuple[Written, Node, Path]:
    con, written = build(folder, **kwargs)
    page = render_report(con, RUN_ID, folder / "report.html")
    return written, parse(page.read_text(encoding="utf-8")), page


@pytest.fixture(scope="module")
def cut(tmp_path_factory: pytest.TempPathFactory) -> tuple[Written, Node, Path]:
    """base calibrated on the figures published by FIT_UNTIL."""
    return _render(tmp_path_factory.mktemp("backtest-cut"), fit_until=FIT_UNTIL)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> tuple[Written, Node, Path]:
    """base calibrated on every figure (no cutoff)."""
    return _render(tmp_path_factory.mktemp("backtest-full"))


# --- reading the page --------------------------------------------------------------------------


def number(text: str) -> float:
    """'1.09 M' -> 1.09e6, '750,000' -> 750000 (the page's compact numbers, read back)."""
    parts = text.split()
    value = float(parts[0].replace(",", ""))
    return value * SUFFIX[parts[1]] if len(parts) == 2 else value


def span(text: str) -> tuple[float, float]:
    """'750 k–1.3 M' or '20–33 tn' (suffix said once) -> (low, high)."""
    low, high = text.split("–")
    if len(low.split()) == 1 and len(high.split()) == 2:
        low = f"{low} {high.split()[1]}"
    return number(low), number(high)


def rows_of(w: Written, scenario: str, calibration: str) -> list[dict]:
    return (w.backtest.filter((pl.col("scenario") == scenario)
                              & (pl.col("calibration") == calibration))
            .sort("published", "id").to_dicts())


def inside(r: dict) -> bool:
    return r["p10"] <= r["value"] <= r["p90"]


def ids_in_order(node: Node) -> list[str]:
    return [n.attrs["id"] for n in node.iter() if "id" in n.attrs]


def close(shown: float, expected: float) -> bool:
    """Equal to the 3 significant digits the page shows."""
    return shown == pytest.approx(expected, rel=5e-3, abs=1e-12)


# --- the back-test tables ----------------------------------------------------------------------


@pytest.mark.parametrize("scenario,calibration", [
    (PRIMARY, "prior"), (PRIMARY, "posterior"), (SEED, "prior"), (OTHER, "prior")])
def test_backtest_table_lists_every_reported_figure(cut, scenario, calibration) -> None:
    written, dom, _ = cut
    expected = rows_of(written, scenario, calibration)
    assert expected
    table = dom.by_id(f"backtest-{scenario}-{calibration}")
    if table.tag == "details":  # a folded table (scenarios other than base and seed)
        assert scenario == OTHER
        table = table.iter("table")[0]
    cols = header(table)
    assert cols[:10] == ["actual", "quantity", "reported", "source's range", "P10", "P50",
                         "P90", "inside", "reported / P50", "published"]
    shown = table_rows(table)
    assert [r[0] for r in shown] == [e["id"] for e in expected]
    for row, e in zip(shown, expected, strict=True):
        assert row[1] == e["quantity"].replace("_", " ")
        assert close(number(row[2]), e["value"])
        low, high = span(row[3])
        assert close(low, e["low"]) and close(high, e["high"])
        for cell, key in zip(row[4:7], ("p10", "p50", "p90"), strict=True):
            assert close(number(cell), e[key]), (e["id"], key)
        assert row[7] == ("yes" if inside(e) else "NO")
        assert row[8] == ("∞" if e["p50"] == 0 else f"{e['value'] / e['p50']:.2f}")
        assert row[9] == e["published"].isoformat()
    k, n = sum(map(inside, expected)), len(expected)
    assert f"{k} of {n} inside P10-P90 ({k / n:.0%})" in table.iter("caption")[0].words()


def test_posterior_marks_the_fitted_figures_when_calibrated_to_a_cutoff(cut) -> None:
    written, dom, _ = cut
    table = dom.by_id(f"backtest-{PRIMARY}-posterior")
    assert header(table)[-1] == "fitted"
    last = written.fit_until
    assert last == date(2024, 12, 31)
    marks = {r[0]: r[-1] for r in table_rows(table)}
    expected = {e["id"]: "yes" if e["published"] <= last else "no"
                for e in rows_of(written, PRIMARY, "posterior")}
    assert marks == expected and set(marks.values()) == {"yes", "no"}
    fitted = sum(1 for v in expected.values() if v == "yes")
    caption = table.iter("caption")[0].words()
    assert f"calibrated on the {fitted} figures published by 2024-12-31" in caption
    assert f"{DRAWS:,} draws, {KEPT:,.0f} kept" in caption


def test_out_of_sample_score_comes_first(cut) -> None:
    written, dom, _ = cut
    section = dom.by_id("backtest")
    order = ids_in_order(section)
    first = [f"out-of-sample-{PRIMARY}", f"backtest-{PRIMARY}-out-of-sample",
             f"backtest-{PRIMARY}", f"backtest-{PRIMARY}-posterior", f"backtest-{PRIMARY}-prior"]
    assert [order.index(i) for i in first] == sorted(order.index(i) for i in first)
    posterior = rows_of(written, PRIMARY, "posterior")
    later = [e for e in posterior if e["published"] > written.fit_until]
    prior = {e["id"]: e for e in rows_of(written, PRIMARY, "prior")}
    k, n = sum(map(inside, later)), len(later)
    k_prior = sum(inside(prior[e["id"]]) for e in later)
    assert 0 < n < len(posterior) and k != k_prior  # the fixture tells the two apart
    note = dom.by_id(f"out-of-sample-{PRIMARY}")
    assert note.tag == "p" and "callout" in note.attrs["class"]
    text = note.words()
    assert (f"calibrated on the {len(posterior) - n} figures published by 2024-12-31, the "
            f"posterior holds {k} of the {n} published later inside its P10-P90 "
            f"({k / n:.0%}); the prior held {k_prior} of them.") in text
    table = dom.by_id(f"backtest-{PRIMARY}-out-of-sample")
    assert [r[0] for r in table_rows(table)] == [e["id"] for e in later]
    assert f"{k} of {n} inside P10-P90" in table.iter("caption")[0].words()


def test_calibrated_on_every_figure_is_called_in_sample(full) -> None:
    written, dom, _ = full
    assert written.fit_until is None
    order = ids_in_order(dom.by_id("backtest"))
    assert not any(i.startswith("out-of-sample") or i.endswith("out-of-sample") for i in order)
    table = dom.by_id(f"backtest-{PRIMARY}-posterior")
    assert "fitted" not in header(table)  # every figure was fitted: the caption says so
    n = len(rows_of(written, PRIMARY, "posterior"))
    assert f"calibrated on all {n} figures (in sample)" in table.iter("caption")[0].words()
    assert "coverage is in sample, not a test" in dom.by_id("backtest").words()
    assert "out of sample (inside)" not in header(dom.by_id("backtest-coverage"))


def test_coverage_table_covers_every_scenario_and_calibration(cut) -> None:
    written, dom, _ = cut
    shown = table_rows(dom.by_id("backtest-coverage"))
    expected = []
    for scenario in (PRIMARY, OTHER, SEED):  # base first, the seed last
        for calibration in ("prior", "posterior"):
            rows = rows_of(written, scenario, calibration)
            if not rows:
                continue
            k, n = sum(map(inside, rows)), len(rows)
            later = [e for e in rows if e["published"] > written.fit_until]
            oos = (f"{sum(map(inside, later))} of {len(later)} after 2024-12-31"
                   if calibration == "posterior" else "")
            expected.append([scenario, calibration, str(n), str(k), f"{k / n:.0%}", oos,
                             f"{DRAWS:,}", f"{KEPT:,.0f}" if calibration == "posterior"
                             else ""])
    assert shown == expected
    seed = next(r for r in shown if r[0] == SEED)
    assert seed[4] != "100%"  # the 2023 view misses figures: visible in the summary


def test_seed_scenario_is_shown_in_full_and_others_folded(cut) -> None:
    _, dom, _ = cut
    section = dom.by_id("backtest")
    headings = [h.words() for h in section.iter("h3")]
    assert headings[:2] == [f"{PRIMARY} scenario", f"{SEED} scenario"]
    assert dom.by_id(f"backtest-{SEED}").iter("svg", "backtest")  # a chart
    assert dom.by_id(f"backtest-{SEED}-prior").tag == "table"  # not folded
    assert dom.by_id(f"backtest-{OTHER}-prior").tag == "details"  # folded
    assert not dom.has_id(f"backtest-{OTHER}")  # no chart for the other scenarios
    assert "2023 view" in section.words()


def test_no_backtest_rows_show_a_note(tmp_path: Path) -> None:
    _, dom, _ = _render(tmp_path, draws=False)
    assert "run with --draws N" in dom.by_id("no-backtest").words()
    assert not dom.has_id("backtest-coverage")


# --- the back-test chart -----------------------------------------------------------------------


def _path_x(group: Node) -> list[float]:
    return [float(x) for x in NUMBER.findall(group.iter("path")[0].attrs["d"])[0::2]]


def _log_axis(svg: Node) -> tuple[float, float]:
    """(x of 1, pixels per decade) from the labelled ticks of a log axis."""
    ticks = []
    for tick in svg.iter("g", "xtick"):
        text = tick.iter("text")[0]
        ticks.append((math.log10(float(text.words())), float(text.attrs["x"])))
    assert len(ticks) >= 2
    (a, xa), (b, xb) = ticks[0], ticks[-1]
    per_decade = (xb - xa) / (b - a)
    return xa - a * per_decade, per_decade


@pytest.mark.parametrize("scenario", [PRIMARY, SEED])
def test_backtest_chart_draws_each_interval_against_the_reported_value(cut, scenario) -> None:
    written, dom, _ = cut
    figure = dom.by_id(f"backtest-{scenario}")
    svg = figure.iter("svg", "backtest")[0]
    x1, per_decade = _log_axis(svg)
    rule = _path_x(svg.iter("g", "reported")[0])
    assert rule[0] == pytest.approx(x1, abs=0.5)  # the black rule is at 1

    def x_of(ratio: float) -> float:
        return x1 + math.log10(ratio) * per_decade

    calibrations = ["prior", "posterior"] if scenario == PRIMARY else ["prior"]
    expected = {(e["id"], c): e for c in calibrations for e in rows_of(written, scenario, c)}
    bars = {}
    for bar in svg.iter("g", "interval"):
        fid, rest = bar.iter("title")[0].words().split(", ", 1)
        bars[(fid, rest.split(":")[0])] = bar
    assert set(bars) == set(expected)
    for key, e in expected.items():
        xs = _path_x(bars[key])
        if e["p90"] == 0:  # a zero forecast: an arrow at the axis' left edge, labelled 0
            continue
        assert min(xs) == pytest.approx(x_of(e["p10"] / e["value"]), abs=0.6), key
        assert max(xs) == pytest.approx(x_of(e["p90"] / e["value"]), abs=0.6), key
        assert (min(xs) <= rule[0] <= max(xs)) == inside(e), key  # crosses 1 = inside
    labels = [t.words() for t in svg.iter("g", "ytick")]
    if scenario == PRIMARY:  # calibrated to a cutoff: the fitted figures are named so
        assert labels == [e["id"] + (" (fitted)" if e["fitted"] else "")
                          for e in rows_of(written, PRIMARY, "posterior")]
    else:
        assert [t.words() for t in svg.iter("g", "off-scale-label")] == ["0"]
        assert SEED_ZERO in svg.iter("g", "off-scale")[0].words()
    # the chart's data table: forecast / reported per calibration
    data = table_rows(figure.iter("details")[0].iter("table")[0])
    for row in data:
        for j, c in enumerate(calibrations):
            e = expected[(row[0], c)]
            for cell, key in zip(row[2 + 3 * j: 5 + 3 * j], ("p10", "p50", "p90"), strict=True):
                assert close(float(cell), e[key] / e["value"]), (row[0], c, key)


# --- calibrated against prior ------------------------------------------------------------------


def test_calibration_chart_draws_posterior_over_prior(cut) -> None:
    written, dom, _ = cut
    figure = dom.by_id(f"calibration-a100-equivalents-required-{PRIMARY}")
    svg = figure.iter("svg", "chart")[0]
    assert [b.iter("title")[0].words() for b in svg.iter("g", "band")] == ["posterior P10-P90"]
    assert sorted(g.iter("title")[0].words() for g in svg.iter("g", "line")) == [
        "posterior P50", "prior P10", "prior P50", "prior P90"]
    prior, post = written.bands[(PRIMARY, "prior")], written.bands[(PRIMARY, "posterior")]
    assert prior == {m: tuple(v * SCALES[PRIMARY] for v in BAND_PRIOR[m]) for m in MONTHS}
    assert post == {m: tuple(v * SCALES[PRIMARY] for v in BAND_POSTERIOR[m]) for m in MONTHS}
    rows = table_rows(figure.iter("details")[0].iter("table")[0])
    assert [r[0] for r in rows] == [f"{m:%Y-%m}" for m in MONTHS]
    for row, m in zip(rows, MONTHS, strict=True):
        assert [float(c.replace(",", "")) for c in row[1:]] == [*prior[m], *post[m]]
    widths = [(post[m][2] - post[m][0]) / (prior[m][2] - prior[m][0]) for m in MONTHS]
    note = figure.iter("figcaption")[0].words()
    assert f"The posterior's P10-P90 is {statistics.median(widths):.2f}× the prior's" in note
    assert f"from {min(widths):.2f}× to {max(widths):.2f}×" in note
    assert f"The published point of {PRIMARY} is the posterior median" in note
    # the A100-family series too (its SKU's family from stg_chips)
    a100 = dom.by_id(f"calibration-a100-a800-units-shipped-{PRIMARY}")
    first = table_rows(a100.iter("details")[0].iter("table")[0])[0]
    assert [float(c) for c in first[1:]] == [*A100_BAND["prior"], *A100_BAND["posterior"]]


def test_published_bands_are_the_posterior_and_uncalibrated_scenarios_get_none(cut) -> None:
    written, dom, _ = cut
    table = dom.by_id(f"bands-a100-equivalents-required-{PRIMARY}").iter("details")[0]
    rows = table_rows(table.iter("table")[0])
    post = written.bands[(PRIMARY, "posterior")]
    assert [float(r[3]) for r in rows] == [post[m][1] for m in MONTHS]  # p50 column
    assert post[MONTHS[0]][1] == written.bands[(PRIMARY, "prior")][MONTHS[0]][1]
    assert post[MONTHS[1]][1] != written.bands[(PRIMARY, "prior")][MONTHS[1]][1]
    caption = dom.by_id(f"bands-a100-equivalents-required-{PRIMARY}").iter("figcaption")[0]
    assert "calibrated draws" in caption.words()
    other = table_rows(dom.by_id(f"bands-a100-equivalents-required-{OTHER}").iter("table")[0])
    prior = written.bands[(OTHER, "prior")]
    assert [float(r[3]) for r in other] == [prior[m][1] for m in MONTHS]
    for scenario in (OTHER, SEED):
        assert not dom.has_id(f"calibration-a100-equivalents-required-{scenario}")


def test_a_run_without_calibration_has_no_calibration_charts(tmp_path: Path) -> None:
    _, dom, _ = _render(tmp_path, scenarios=(OTHER, SEED))
    assert not any(i.startswith("calibration-") for i in ids_in_order(dom))
    assert "Calibrated against prior" not in dom.by_id("uncertainty").words()


# --- given-data sensitivity --------------------------------------------------------------------


def _given(written: Written, scenario: str) -> list[dict]:
    return (written.sensitivity.filter((pl.col("scenario") == scenario)
                                       & (pl.col("method") == "given_data"))
            .sort(["s1", "input"], descending=[True, False]).to_dicts())


@pytest.mark.parametrize("scenario", [PRIMARY, SEED])
def test_given_data_table_follows_the_tornado(cut, scenario) -> None:
    written, dom, _ = cut
    slug = SENS_HEADLINE.replace("_", "-")
    table = dom.by_id(f"given-data-{slug}-{scenario}")
    section = dom.by_id("sensitivity")
    order = ids_in_order(section)
    tornado = order.index(f"tornado-{slug}-{scenario}")
    after = [i for i in order[tornado + 1:] if not i.startswith(f"tornado-{slug}-{scenario}-")]
    assert after[0] == f"given-data-{slug}-{scenario}"  # next to the tornado
    given = _given(written, scenario)
    assert len(given) == GIVEN_INPUTS
    assert header(table) == ["input", "first-order S1 (binned)", "± (95 %)",
                             "PAWN (median KS)"]
    assert table_rows(table) == [[r["input"], f"{r['s1']:.3f}", f"{r['s1_conf']:.3f}",
                                  f"{r['pawn']:.3f}"] for r in given[:12]]
    assert [r["input"] for r in given[:12]] != sorted(r["input"] for r in given[:12])
    caption = table.iter("caption")[0].words()
    total = sum(r["s1"] for r in given)
    assert total > 1
    assert f"12 of {GIVEN_INPUTS} inputs by S1; S1 sums to {total:.2f}" in caption
    assert "cannot exceed" in caption and f"{DRAWS:,} prior draws" in caption


def test_other_scenarios_list_given_data_s1_without_sobol(cut) -> None:
    written, dom, _ = cut
    slug = SENS_HEADLINE.replace("_", "-")
    table = dom.by_id(f"sensitivity-{slug}-{OTHER}").iter("table")[0]
    assert header(table)[-1] == "given-data S1"
    s1 = {r["input"]: r["s1"] for r in _given(written, OTHER)}
    rows = table_rows(table)
    assert rows and all(r[-1] == f"{s1[r[0]]:.3f}" for r in rows)


def test_sobol_rows_replace_the_given_data_table(tmp_path: Path) -> None:
    con, _ = build(tmp_path, scenarios=(PRIMARY,))
    wh.write_sensitivity(con, RUN_ID, pl.DataFrame([dict(
        scenario=PRIMARY, headline=SENS_HEADLINE, input="in:00", method="sobol", s1=0.4,
        s1_conf=0.05, st=0.5, st_conf=0.06, unit=HEADLINES[SENS_HEADLINE].unit)]))
    page = render_report(con, RUN_ID, tmp_path / "r.html")
    html = page.read_text(encoding="utf-8")
    assert "Sobol indices: " in html and "given-data-" not in html


def test_tornado_rule_is_the_deterministic_value_not_the_published_point(cut) -> None:
    _, dom, _ = cut
    slug = SENS_HEADLINE.replace("_", "-")
    figure = dom.by_id(f"tornado-{slug}-{PRIMARY}")
    i = list(HEADLINES).index(SENS_HEADLINE)
    det, point = (i + 1) * DETERMINISTIC, (i + 1) * POSTERIOR_P50
    legend = figure.iter("ul", "legend")[0].words()
    assert f"deterministic forecast ({det:,.0f})" in legend
    assert f"{point:,.0f}" not in legend
    rule = figure.iter("g", "deterministic")[0].iter("title")[0].words()
    assert rule.endswith(f"{det:,.0f}")


# --- headline table ----------------------------------------------------------------------------


def _headline_cells(dom: Node) -> tuple[list[str], dict[str, list[str]]]:
    table = dom.by_id("headline-table")
    return header(table), {r[0]: r for r in table_rows(table)}


def test_headline_table_shows_point_basis_and_deterministic_value(cut) -> None:
    _, dom, _ = cut
    cols, body = _headline_cells(dom)
    assert cols[-1] == "Published point"
    medians = {PRIMARY: POSTERIOR_P50, OTHER: PRIOR_P50, SEED: PRIOR_P50}
    assert body[PRIMARY][-1] == "posterior median (calibrated)"
    assert body[OTHER][-1] == body[SEED][-1] == "prior median"
    for scenario, row in body.items():
        for i, _ in enumerate(HEADLINES):
            k = SCALES[scenario] * (i + 1)
            point, det = row[i + 1].split(" (det. ")
            assert point.split(" (")[0] == f"{k * medians[scenario]:,.0f}"
            assert det == f"{k * DETERMINISTIC:,.0f})"


def test_deterministic_run_says_so_once(tmp_path: Path) -> None:
    _, dom, _ = _render(tmp_path, draws=False)
    _, body = _headline_cells(dom)
    for scenario, row in body.items():
        assert row[-1] == "deterministic"
        assert not any("det." in c for c in row)
        assert row[1].split(" (")[0] == f"{SCALES[scenario] * DETERMINISTIC:,.0f}"


# --- in the browser ----------------------------------------------------------------------------


def test_chromium_reads_the_section_as_written(cut) -> None:
    """Chromium's DOM (block elements a <p> cannot hold would split it) keeps the section's
    elements and their order."""
    _, dom, page = cut
    browser_dom = parse(dump_dom(page))
    assert ids_in_order(browser_dom.by_id("backtest")) == ids_in_order(dom.by_id("backtest"))
    note = browser_dom.by_id(f"out-of-sample-{PRIMARY}")
    assert note.tag == "p" and "Out of sample:" in note.words()
    nav = [a.attrs["href"] for a in browser_dom.iter("nav")[0].iter("a")]
    assert nav.index("#uncertainty") < nav.index("#backtest") < nav.index("#sensitivity")
