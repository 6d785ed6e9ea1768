"""The report's figures (chipcast.report.charts): inline SVG from matplotlib, read back with an
XML parser: few round ticks whatever the value range, text kept as text, the same bytes for the
same data, ids that do not collide between charts, and the classes the page relies on."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from chipcast.report.charts import Band, Bar, Marker, Series, time_chart, tornado_chart

NS = {"s": "http://www.w3.org/2000/svg"}
SCALES = {"thousands": 1e3, "millions": 1e6, "billions": 1e9}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
MONTHS = [date(2022 + i // 12, i % 12 + 1, 1) for i in range(36)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def with_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if cls in el.get("class", "").split()]


def tick_labels(root: ET.Element, axis: str) -> list[str]:
    return ["".join(t.itertext()) for g in with_class(root, axis)
            for t in g.iter(f"{{{NS['s']}}}text")]


def tick_positions(root: ET.Element, axis: str) -> list[float]:
    coord = "x" if axis == "xtick" else "y"
    return [float(g.find(".//s:use", NS).get(coord)) for g in with_class(root, axis)]


def axis_title(root: ET.Element) -> str:
    return "".join(with_class(root, "axis-title")[0].itertext())


def path_xs(group: ET.Element) -> list[float]:
    numbers = [float(v) for v in NUMBER.findall(group.find("s:path", NS).get("d"))]
    return numbers[0::2]


def values_of(labels: list[str], title: str) -> list[float]:
    """Tick labels as numbers in the unit the axis title names (e.g. 'units (thousands)')."""
    scale = next((v for k, v in SCALES.items() if f"({k})" in title), 1.0)
    return [float(label.replace(",", "").replace("−", "-")) * scale for label in labels]


def test_tornado_axis_on_floating_point_noise_has_few_readable_ticks() -> None:
    centre = 1_709_816.95  # the seed world's A100s: every input leaves it unmoved
    bars = [Bar(f"chip_specs:sku-{i}:price_usd", centre - 1e-9 * i, centre + 1e-9 * i)
            for i in range(15)]
    root = parse(tornado_chart("t", "Tornado", "units", bars, centre, centre - 5e-10))
    labels = tick_labels(root, "xtick")
    assert 2 <= len(labels) <= 12 and len(with_class(root, "xtick")) == len(labels)
    assert len(with_class(root, "ytick")) == 12  # one tick per bar, at most 12 bars
    assert len(set(labels)) == len(labels)
    assert all(len(label) <= 9 for label in labels), labels  # no "1,709.81695250584016"
    values = values_of(labels, axis_title(root))
    assert min(values) <= centre <= max(values)
    assert max(values) - min(values) <= 0.1 * centre  # a readable window, not the noise


@pytest.mark.parametrize(("lo", "hi"), [
    (0.0, 0.0), (0.001, 0.0012), (-5.0, 3.0), (1e3, 1e3 + 1e-12), (1.2e11, 5.9e11),
    (7.0, 7e9), (-2e6, -1e6),
])
def test_tornado_ticks_are_few_evenly_spaced_and_cover_the_bars(lo: float, hi: float) -> None:
    mid = (lo + hi) / 2
    bars = [Bar(f"input {i}", lo + (mid - lo) * i / 4, hi - (hi - mid) * i / 4)
            for i in range(4)]
    root = parse(tornado_chart("t", "Tornado", "USD", bars, mid, lo))
    labels = tick_labels(root, "xtick")
    xs = tick_positions(root, "xtick")
    assert 2 <= len(labels) <= 12 and len(set(labels)) == len(labels)
    values = values_of(labels, axis_title(root))
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert all(s > 0 for s in steps) and max(steps) == pytest.approx(min(steps), rel=1e-6)
    assert max(gaps) == pytest.approx(min(gaps), abs=0.01)  # labels match positions
    assert values[0] <= min(lo, hi) and values[-1] >= max(lo, hi)
    for group in with_class(root, "bar"):  # every bar inside the axis
        assert all(xs[0] - 0.01 <= x <= xs[-1] + 0.01 for x in path_xs(group))


def test_same_data_gives_the_same_bytes_and_ids_stay_unique_per_chart() -> None:
    lines = [Series("base", [float(i * i) for i in range(36)], "#0072B2")]
    first = time_chart("chart-a", MONTHS, title="A", y_label="units", lines=lines)
    assert first == time_chart("chart-a", MONTHS, title="A", y_label="units", lines=lines)
    other = time_chart("chart-b", MONTHS, title="A", y_label="units", lines=lines)
    ids_a = {el.get("id") for el in parse(first).iter() if el.get("id")}
    ids_b = {el.get("id") for el in parse(other).iter() if el.get("id")}
    assert ids_a and all(i.startswith("chart-a-") for i in ids_a)
    assert not ids_a & ids_b
    refs = set(re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', first))
    assert {r for pair in refs for r in pair if r} <= ids_a  # references follow the renames


def test_svg_keeps_text_as_text_without_metadata_or_page_styles() -> None:
    svg = time_chart("c", MONTHS, title="Units <shipped> & more", y_label="units/month",
                     lines=[Series("s", [1.0] * 36, "#0072B2")])
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Units <shipped> & more"
    assert root[0].tag == f"{{{NS['s']}}}title" and root[0].text == "Units <shipped> & more"
    texts = ["".join(t.itertext()) for t in root.iter(f"{{{NS['s']}}}text")]
    assert "month" in texts and "2023" in texts  # labels are <text>, not glyph paths
    for absent in ("<metadata", "<style", "Matplotlib v", "<script", "glyph", "<image"):
        assert absent not in svg


def test_time_chart_marks_series_bands_areas_and_markers_inside_the_horizon() -> None:
    up = [1e5 * i for i in range(36)]
    svg = time_chart(
        "t", MONTHS, title="T", y_label="A100-eq",
        lines=[Series("median", up, "#0072B2"), Series("mean", up, "#D55E00", (7, 3))],
        areas=[Series("training", [1e4] * 36, "#D55E00"),
               Series("inference", [2e4] * 36, "#0072B2")],
        bands=[Band("P10-P90", [0.8 * v for v in up], [1.25 * v for v in up], "#0072B2", 0.3)],
        markers=[Marker(date(2022, 10, 7), "2022-10-07 rule"),
                 Marker(date(2019, 1, 1), "before"), Marker(date(2031, 1, 1), "after")],
    )
    root = parse(svg)
    assert len(with_class(root, "line")) == 2 and len(with_class(root, "area")) == 2
    assert len(with_class(root, "band")) == 1
    assert ["".join(m.itertext()) for m in with_class(root, "marker")] == ["2022-10-07 rule"]
    assert "mean" in ["".join(g.find("s:title", NS).itertext())
                      for g in with_class(root, "line")]
    labels = tick_labels(root, "ytick")
    assert 2 <= len(labels) <= 12
    values = values_of(labels, "".join(with_class(root, "axis-title")[1].itertext()))
    assert values[0] == 0 and values[-1] >= 1.25 * up[-1]  # from 0 to above the band's top
    # 4.4 million at most: labelled in thousands (millions from 10 million up, as k/M units)
    assert "(thousands)" in "".join(with_class(root, "axis-title")[1].itertext())
