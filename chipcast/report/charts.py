"""Figures of the report: data in, inline SVG out (matplotlib).

Each function draws one matplotlib figure with the object API (no pyplot: no global state, no
GUI backend) and returns it as an <svg> element to inline in the self-contained HTML page:

- text stays text (`svg.fonttype = 'none'`): selectable, searchable and small;
- the same data gives the same bytes (fixed `svg.hashsalt`, no date or creator metadata);
- value axes get a few round ticks from matplotlib's MaxNLocator whatever the value range, also
  when every value lies within floating-point noise of one number (the axis then spans at least
  MIN_REL_SPAN of the values' magnitude); large values are shown in thousands, millions or
  billions, named in the axis label;
- ids are unique in the page (all SVGs share one HTML id space: clip paths and marker shapes
  are prefixed with the chart id) and the marks readers and tests look for carry classes:
  `series line|area|band`, `bar low|high`, `baseline`, `deterministic`, `marker`,
  `marker-label`, `axis-title`, in back-test charts `bar interval <calibration>`, `median`,
  `reported-range` and `reported`, and matplotlib's own groups such as `xtick` and `ytick`
  (one group per drawn tick). Series, bars and rules have a <title> tooltip.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from markupsafe import Markup
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from chipcast.report.fmt import fmt_num

# Colour-blind-safe palette (Okabe-Ito, then Paul Tol's muted set); lines also differ by dash.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999933",
    "#882255", "#44AA99", "#332288", "#AA4499", "#117733", "#888888", "#661100",
)
# Dash patterns (on, off, ... in points); () is a solid line.
DASHES: tuple[tuple[float, ...], ...] = (
    (), (7, 3), (2, 3), (9, 3, 2, 3), (4, 4), (1, 2), (12, 4),
)
LOW_COLOUR = "#56B4E9"  # tornado: input at its P10
HIGH_COLOUR = "#D55E00"  # tornado: input at its P90
BASELINE_COLOUR = "#000000"
# The tornado's deterministic tick: grey and dashed, so it is not read as the bars' centre.
DETERMINISTIC_COLOUR = "#59636e"
DETERMINISTIC_DASH = (4, 3)
MARKER_COLOUR = "#333333"
GRID_COLOUR = "#e6e9ed"

# Intervals of a value axis: MaxNLocator needs at most MAX_BINS steps for the values' range;
# rounding the limits out to whole steps adds at most one, so at most MAX_BINS + 2 ticks.
MAX_BINS = 5
STEPS = (1, 2, 2.5, 5, 10)  # tick steps x 10^k that MaxNLocator may use
# A value axis spans at least this share of its values' magnitude, so values that differ by
# floating-point noise (e.g. a tornado no input moves) get a readable axis, not noise ticks.
MIN_REL_SPAN = 0.02
TORNADO_MAX_BARS = 12  # one y tick per bar
TIME_FIGSIZE = (10.0, 3.4)  # inches; the page scales the SVG to its width

RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "chipcast-report",
    "path.simplify": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9.0,
    "text.color": "#1b1f24",
    "axes.edgecolor": "#1b1f24",
    "axes.labelcolor": "#59636e",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": "#1b1f24",
    "ytick.color": "#1b1f24",
}
# No date, creator or format records: the SVG depends on the data only.
METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)
_HREF = f"{{{XLINK_NS}}}href"
_AUTO_ID = re.compile(r"^(.+?)_\d+$")  # matplotlib's group ids: xtick_3, line2d_12, ...
_URL = re.compile(r"url\(#([^)]+)\)")


@dataclass(frozen=True)
class Series:
    """One named sequence of monthly values (same length as the chart's months)."""

    name: str
    values: Sequence[float]
    colour: str
    dash: tuple[float, ...] = ()


@dataclass(frozen=True)
class Band:
    """A shaded range between two monthly sequences."""

    name: str
    lower: Sequence[float]
    upper: Sequence[float]
    colour: str
    opacity: float


@dataclass(frozen=True)
class Marker:
    """A dated vertical rule, e.g. an export-control rule coming into force."""

    day: date
    label: str


@dataclass(frozen=True)
class Bar:
    """One tornado bar: the headline with an input at its P10 (`low`) and P90 (`high`)."""

    name: str
    low: float
    high: float


def dash_array(dash: tuple[float, ...]) -> str:
    """A dash pattern as an SVG stroke-dasharray ('' for a solid line), for HTML legends."""
    return " ".join(f"{d:g}" for d in dash)


def scale_unit(vmax: float) -> tuple[float, str]:
    """Divisor and its name so axis ticks stay short (thousands, millions, billions)."""
    for div, name in ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if vmax >= 10 * div:
            return div, name
    return 1.0, ""


def _decimals(step: float) -> int:
    """Decimals that show every multiple of `step` exactly (0.25 -> 2, 5 -> 0)."""
    for d in range(10):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) <= 1e-6 * max(scaled, 1.0):
            return d
    return 10


def _value_axis(axis: Axis, lo: float, hi: float, label: str) -> tuple[float, float]:
    """Put at most MAX_BINS + 2 round ticks (MaxNLocator) on `axis` covering [lo, hi], labelled
    in the unit named in the axis label; returns the axis limits (the outer ticks)."""
    magnitude = max(abs(lo), abs(hi))
    min_span = MIN_REL_SPAN * magnitude if magnitude > 0 else 1.0
    if hi - lo < min_span:
        start = (lo + hi) / 2 - min_span / 2
        if lo >= 0 > start:
            start = 0.0  # no negative range for values that are all >= 0
        lo, hi = start, start + min_span
    ticks = MaxNLocator(nbins=MAX_BINS, steps=list(STEPS)).tick_values(lo, hi)
    step = float(ticks[1] - ticks[0])
    eps = 1e-9 * step
    lower = float(ticks[ticks <= lo + eps].max(initial=ticks[0]))
    upper = float(ticks[ticks >= hi - eps].min(initial=ticks[-1]))
    shown = ticks[(ticks >= lower - eps) & (ticks <= upper + eps)]
    div, unit = scale_unit(magnitude)
    decimals = _decimals(step / div)

    def label_of(value: float, _pos: int | None = None) -> str:
        return f"{round(value / div, decimals) + 0.0:,.{decimals}f}"  # + 0.0: no "-0"

    axis.set_major_locator(FixedLocator(shown))
    axis.set_major_formatter(FuncFormatter(label_of))
    axis.set_label_text(f"{label} ({unit})" if unit else label)
    return lower, upper


def _finite_max(values: Sequence[float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return max(finite, default=0.0)


class _Marks:
    """Classes and tooltips of a figure's artists, applied to the SVG after saving (matplotlib
    writes an artist's gid as the id of its group)."""

    def __init__(self) -> None:
        self.tags: dict[str, tuple[str, str]] = {}

    def tag(self, artist: Artist, classes: str, title: str = "") -> None:
        gid = f"chipcast-mark-{len(self.tags)}"
        artist.set_gid(gid)
        self.tags[gid] = (classes, title)


def _svg(fig: Figure, chart_id: str, title: str, marks: _Marks, classes: str) -> Markup:
    """The figure as an inline <svg>: accessible title, classes instead of matplotlib's ids,
    ids that stay unique when many charts share a page, no metadata or global <style>."""
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata=METADATA)
    root = ET.fromstring(buf.getvalue())

    def q(tag: str) -> str:
        return f"{{{SVG_NS}}}{tag}"

    # <metadata> would repeat the title; the default <style> (`* {stroke-linejoin...}`) would
    # apply to the whole page when inlined, so the page CSS states it for svg.chart instead.
    parents = {child: parent for parent in root.iter() for child in parent}
    for el in list(root.iter()):
        if el.tag in (q("metadata"), q("style")):
            parents[el].remove(el)
    for el in list(root):
        if el.tag == q("defs") and len(el) == 0:
            root.remove(el)
    renamed: dict[str, str] = {}
    for el in list(root.iter()):
        gid = el.get("id")
        if gid is None:
            continue
        auto = _AUTO_ID.match(gid)
        if gid in marks.tags:
            cls, tip = marks.tags[gid]
            del el.attrib["id"]
            el.set("class", cls)
            if tip:
                tooltip = ET.Element(q("title"))
                tooltip.text = tip
                el.insert(0, tooltip)
        elif auto:
            del el.attrib["id"]
            el.set("class", auto.group(1).replace(".", "-"))
        else:  # a clip path or marker shape, referenced within this SVG
            renamed[gid] = f"{chart_id}-{gid}"
            el.set("id", renamed[gid])
    for el in root.iter():
        clip = el.get("clip-path")
        if clip:
            el.set("clip-path", _URL.sub(lambda m: f"url(#{renamed.get(m[1], m[1])})", clip))
        href = el.get(_HREF)
        if href and href.startswith("#"):
            el.set(_HREF, "#" + renamed.get(href[1:], href[1:]))
        path = el.get("d")
        if path:
            el.set("d", " ".join(path.split()))
        if el.tag != q("text") and el.text is not None and not el.text.strip():
            el.text = None
        el.tail = None
    for attr in ("width", "height", "version"):
        root.attrib.pop(attr, None)
    root.set("width", "100%")
    root.set("class", classes)
    root.set("role", "img")
    root.set("aria-label", title)
    heading = ET.Element(q("title"))
    heading.text = title
    root.insert(0, heading)
    return Markup(ET.tostring(root, encoding="unicode"))


def time_chart(
    chart_id: str,
    months: Sequence[date],
    *,
    title: str,
    y_label: str,
    lines: Sequence[Series] = (),
    areas: Sequence[Series] = (),
    bands: Sequence[Band] = (),
    markers: Sequence[Marker] = (),
) -> Markup:
    """An SVG chart over months: stacked `areas` (negative and missing values count as 0),
    shaded `bands`, `lines` on top (a missing value leaves a gap) and dated `markers` (those
    inside the horizon). The y axis starts at 0; `y_label` names the values' unit."""
    x = list(months)
    with mpl.rc_context(RC):
        fig = Figure(figsize=TIME_FIGSIZE, layout="constrained")
        ax = fig.add_subplot()
        marks = _Marks()
        peaks = [0.0]
        if areas:
            stacked = np.array([[v if v is not None and math.isfinite(v) and v > 0 else 0.0
                                 for v in s.values] for s in areas], dtype=float)
            polys = ax.stackplot(x, stacked, colors=[s.colour for s in areas], alpha=0.85,
                                 linewidth=0)
            for s, poly in zip(areas, polys, strict=True):
                marks.tag(poly, "series area", s.name)
            peaks.append(float(stacked.sum(axis=0).max(initial=0.0)))
        for b in bands:
            poly = ax.fill_between(x, np.asarray(b.lower, dtype=float),
                                   np.asarray(b.upper, dtype=float), color=b.colour,
                                   alpha=b.opacity, linewidth=0)
            marks.tag(poly, "series band", b.name)
            peaks.append(_finite_max(b.upper))
        for s in lines:
            (line,) = ax.plot(x, np.asarray(s.values, dtype=float), color=s.colour,
                              linewidth=1.6, linestyle=(0, s.dash) if s.dash else "-")
            marks.tag(line, "series line", s.name)
            peaks.append(_finite_max(s.values))
        lower, upper = _value_axis(ax.yaxis, 0.0, max(peaks) or 1.0, y_label)
        ax.set_ylim(lower, upper)
        if len(x) > 1:
            ax.set_xlim(x[0], x[-1])
        locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_xlabel("month")
        ax.grid(axis="y", color=GRID_COLOUR, linewidth=0.8)
        ax.set_axisbelow(True)
        for mk in markers:
            if not (x and x[0] < mk.day <= x[-1]):
                continue  # a rule outside the horizon
            day = float(mdates.date2num(mk.day))  # annotate does not convert dates itself
            rule = ax.axvline(day, color=MARKER_COLOUR, linewidth=1.0, linestyle=(0, (5, 4)))
            marks.tag(rule, "marker", mk.label)
            text = ax.annotate(mk.label, (day, 1.0), xycoords=ax.get_xaxis_transform(),
                               xytext=(2, -3), textcoords="offset points", rotation=90,
                               ha="left", va="top", fontsize=7.5, color=MARKER_COLOUR)
            marks.tag(text, "marker-label")
        marks.tag(ax.xaxis.label, "axis-title")
        marks.tag(ax.yaxis.label, "axis-title")
        return _svg(fig, chart_id, title, marks, "chart")


def tornado_chart(
    chart_id: str,
    title: str,
    x_label: str,
    bars: Sequence[Bar],
    base: float | None,
    deterministic: float | None = None,
) -> Markup:
    """A horizontal tornado, first bar on top (at most TORNADO_MAX_BARS; the caller orders
    them): per input one bar from `base` (the headline with every input at its median, the
    centre its low/high were computed around) to the headline at the input's P10, one to its
    P90; without `base` the bars start at the lower end. `deterministic`, if given, is a
    separate dashed rule: it is not the bars' centre. `x_label` names the headline's unit."""
    shown = list(bars)[:TORNADO_MAX_BARS]
    with mpl.rc_context(RC):
        fig = Figure(figsize=(10.0, 0.8 + 0.26 * max(len(shown), 1)), layout="constrained")
        ax = fig.add_subplot()
        marks = _Marks()
        for i, bar in enumerate(shown):
            pivot = base if base is not None else min(bar.low, bar.high)
            for end, cls, colour, what in ((bar.low, "low", LOW_COLOUR, "input at its P10"),
                                           (bar.high, "high", HIGH_COLOUR, "input at its P90")):
                # A thin edge in the bar's colour keeps a zero-width bar visible.
                (rect,) = ax.barh(i, end - pivot, left=pivot, height=0.7, color=colour,
                                  edgecolor=colour, linewidth=0.5)
                marks.tag(rect, f"bar {cls}", f"{bar.name}: {what} gives {fmt_num(end)}")
        ax.set_yticks(range(len(shown)), [b.name for b in shown])
        ax.set_ylim(len(shown) - 0.5, -0.5)  # first bar on top
        values = [v for b in shown for v in (b.low, b.high)]
        values += [v for v in (base, deterministic) if v is not None]
        values = [v for v in values if math.isfinite(v)]
        lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
        lower, upper = _value_axis(ax.xaxis, lo, hi, x_label)
        ax.set_xlim(lower, upper)
        ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.8)
        ax.set_axisbelow(True)
        if base is not None:
            rule = ax.axvline(base, color=BASELINE_COLOUR, linewidth=1.8)
            marks.tag(rule, "baseline", f"all inputs at their median: {fmt_num(base)}")
        if deterministic is not None:
            rule = ax.axvline(deterministic, color=DETERMINISTIC_COLOUR, linewidth=1.8,
                              linestyle=(0, DETERMINISTIC_DASH))
            marks.tag(rule, "deterministic", "deterministic forecast (inputs at their point "
                      f"values): {fmt_num(deterministic)}")
        marks.tag(ax.xaxis.label, "axis-title")
        return _svg(fig, chart_id, title, marks, "chart tornado")


# Back-test charts: a log axis of forecast / reported value, clipped to this range (a zero
# forecast, e.g. a world that ships no such chip, is drawn at the left edge).
RATIO_CLIP = (1e-2, 1e2)
RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
REPORTED_COLOUR = "#000000"


@dataclass(frozen=True)
class Interval:
    """A forecast of one reported figure: its P10, P50 and P90, each divided by the reported
    value (1 is the reported value; 0 a zero forecast)."""

    label: str  # e.g. the calibration, 'prior' or 'posterior'
    p10: float
    p50: float
    p90: float
    colour: str
    tip: str = ""  # tooltip, e.g. the quantiles in the figure's own unit


@dataclass(frozen=True)
class Reported:
    """One reported figure of a back-test chart: the range the source gives (low, high), each
    divided by the reported value, and the forecast's intervals (one per calibration)."""

    name: str
    low: float
    high: float
    intervals: Sequence[Interval]
    tip: str = ""


def _clip_ratio(value: float) -> float:
    lo, hi = RATIO_CLIP
    return lo if math.isnan(value) else min(max(value, lo), hi)


def _ratio_label(value: float, _pos: int | None = None) -> str:
    return f"{value:g}"


def _ratio_limits(figures: Sequence[Reported]) -> tuple[float, float]:
    """The back-test axis: every clipped value, 0.5 to 2 at least, a margin on each side."""
    seen = [1.0]
    for f in figures:
        seen += [_clip_ratio(v) for v in (f.low, f.high)]
        seen += [_clip_ratio(v) for iv in f.intervals for v in (iv.p10, iv.p90)]
    return (max(RATIO_CLIP[0], min(min(seen), 0.5) / 1.15),
            min(RATIO_CLIP[1], max(max(seen), 2.0) * 1.15))


def backtest_chart(chart_id: str, title: str, figures: Sequence[Reported]) -> Markup:
    """Per reported figure (first on top) the forecast's P10-P90 as a bar and its P50 as a
    tick, one bar per interval, and the source's low-high as a black whisker, on a log axis of
    forecast / reported value: a bar that crosses the rule at 1 holds the reported value.
    Values are clipped to RATIO_CLIP; an interval wholly beyond the axis gets an arrow at the
    edge labelled with its P50 ratio ('0' for a zero forecast)."""
    rows = list(figures)
    k = max((len(f.intervals) for f in rows), default=1) or 1
    height = 0.72 / k  # the interval bars share a row
    lower, upper = _ratio_limits(rows)
    with mpl.rc_context(RC):
        fig = Figure(figsize=(10.0, 1.0 + (0.22 + 0.1 * k) * max(len(rows), 1)),
                     layout="constrained")
        ax = fig.add_subplot()
        ax.set_xscale("log")
        marks = _Marks()
        for i, f in enumerate(rows):
            for j, iv in enumerate(f.intervals):
                y = i - 0.36 + height * (j + 0.5)
                lo, mid, hi = (min(max(_clip_ratio(v), lower), upper)
                               for v in (iv.p10, iv.p50, iv.p90))
                # A thin edge in the bar's colour keeps a zero-width (fixed-input) bar visible.
                (rect,) = ax.barh(y, hi - lo, left=lo, height=height * 0.9, color=iv.colour,
                                  edgecolor=iv.colour, linewidth=0.6, alpha=0.75)
                marks.tag(rect, f"bar interval {iv.label}", iv.tip or f"{f.name}: {iv.label}")
                (tick,) = ax.plot([mid, mid], [y - height * 0.45, y + height * 0.45],
                                  color="#1b1f24", linewidth=1.4)
                marks.tag(tick, "median", f"{f.name}: {iv.label} P50 / reported = "
                                          f"{iv.p50:.3g}")
                below, above = not iv.p90 > lower, not iv.p10 < upper  # NaN counts as below
                if below or above:
                    edge, arrow, align = ((lower, "<", "left") if below
                                          else (upper, ">", "right"))
                    (pointer,) = ax.plot([edge], [y], marker=arrow, color=iv.colour,
                                         markersize=7, linestyle="none")
                    marks.tag(pointer, "off-scale", f"{f.name}: {iv.label} beyond the axis")
                    text = ax.annotate(
                        "0" if iv.p50 == 0 else f"{iv.p50:.3g}", (edge, y),
                        xytext=(8 if below else -8, 0), textcoords="offset points",
                        ha=align, va="center", fontsize=7.5, color="#1b1f24")
                    marks.tag(text, "off-scale-label")
            lo, hi = (min(max(_clip_ratio(v), lower), upper) for v in (f.low, f.high))
            (whisker,) = ax.plot([lo, hi], [i, i], color=REPORTED_COLOUR, linewidth=1.0,
                                 marker="|", markersize=7)
            marks.tag(whisker, "reported-range", f.tip or f"{f.name}: reported range")
        rule = ax.axvline(1.0, color=REPORTED_COLOUR, linewidth=1.4)
        marks.tag(rule, "reported", "the reported value")
        ticks = [t for t in RATIO_TICKS if lower <= t <= upper]
        if len(ticks) > 2 + MAX_BINS:  # a wide range: powers of ten only
            ticks = [t for t in ticks if math.log10(t).is_integer()]
        ax.set_xlim(lower, upper)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(_ratio_label))
        ax.xaxis.set_minor_locator(FixedLocator([]))
        ax.set_xlabel("forecast ÷ reported value (log scale; 1 = the reported figure)")
        ax.set_yticks(range(len(rows)), [f.name for f in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # first figure on top
        ax.grid(axis="x", color=GRID_COLOUR, linewidth=0.8)
        ax.set_axisbelow(True)
        marks.tag(ax.xaxis.label, "axis-title")
        return _svg(fig, chart_id, title, marks, "chart backtest")
