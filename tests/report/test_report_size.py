"""The report of every shipped scenario (data/scenarios/*.yaml plus base) with Monte Carlo
bands and sensitivity rows for each (tests/fixtures/reportdata.py): under 2 MB, at most 12
ticks on every tornado axis, every scenario present, and the seed section restating the
article from the shipped seed-2023 inputs. Read with an XML/HTML parser, no browser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import duckdb
import pytest
from reportdata import RUN_ID, build_shipped

from chipcast.contracts import HEADLINES
from chipcast.inputs.scenarios import available_scenarios
from chipcast.project import SHIPPED_DATA as DATA_DIR
from chipcast.report import render_report

MAX_BYTES = 2_000_000
SVG = re.compile(r"<svg xmlns=\"http://www.w3.org/2000/svg\".*?</svg>", re.S)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, str]:
    folder = tmp_path_factory.mktemp("report-shipped")
    con = build_shipped(folder)
    out = render_report(con, RUN_ID, folder / "report.html")
    return con, Path(out).read_text(encoding="utf-8")


def classes(el: ET.Element) -> list[str]:
    return el.get("class", "").split()


def test_report_of_all_shipped_scenarios_is_under_2_mb(shipped) -> None:
    con, html = shipped
    scenarios = available_scenarios(DATA_DIR)
    assert len(scenarios) == 8  # this test is about the shipped set: update if it changes
    assert con.execute("SELECT count(DISTINCT scenario) FROM sensitivity").fetchall()[0][0] == 8
    assert con.execute("SELECT count(DISTINCT scenario) FROM mart_bands").fetchall()[0][0] == 8
    assert len(html.encode("utf-8")) < MAX_BYTES
    for scenario in scenarios:  # every scenario is in the page: headline row and tables
        assert f'<th scope="row">{scenario}</th>' in html
        for headline in HEADLINES:
            if scenario not in ("base", "seed-2023"):
                assert f'id="sensitivity-{headline}-{scenario}"'.replace("_", "-") in html


def test_every_tornado_axis_has_at_most_12_ticks(shipped) -> None:
    _, html = shipped
    tornados = [root for root in map(ET.fromstring, SVG.findall(html))
                if "tornado" in classes(root)]
    # base and seed-2023 draw a tornado per headline; the other scenarios get tables
    assert len(tornados) == 2 * len(HEADLINES)
    for root in tornados:
        for axis in ("xtick", "ytick"):
            ticks = [el for el in root.iter() if axis in classes(el)]
            assert 2 <= len(ticks) <= 12, (root.get("aria-label"), axis, len(ticks))


def test_seed_section_restates_the_article_from_the_shipped_inputs(shipped) -> None:
    """FACTS.md: 843 A100s to train and 16,255 to serve one GPT-3-class model; ten firms at
    ten times the compute give 1.7098 million, so 2 million needs a multiplier of about 11.7."""
    _, html = shipped
    table = re.search(r'<table id="seed-table">.*?</table>', html, re.S)
    assert table
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", table.group(0))).split())
    for figure in ("843", "16,255", "17,098", "1,709,8", "> 2,000,000", "10 firms"):
        assert figure in text, figure
    gap = re.search(r'<p class="callout warn" id="seed-gap">.*?</p>', html, re.S)
    assert gap and "11.7× instead of 10×" in " ".join(unescape(gap.group(0)).split())
