"""The published HTML report of a run: one self-contained file (inline CSS and SVG, no scripts,
no network) for analysts.

`render_report(con, run_id, out_path)` reads the run's rows from the mart views and the run's
own tables (queries in sql/report/), draws the charts as SVG in Python and fills the Jinja2
template chipcast/templates/report.html.j2. Every chart has a data table beside it (in a
<details> element) so the numbers are readable without the picture.
"""

from __future__ import annotations

import calendar
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import jinja2
from markupsafe import Markup, escape

from chipcast import __version__
from chipcast.contracts import label_of
from chipcast.model.compute import estimate_inference, estimate_training, tokens_per_day
from chipcast.store.sql import sql

TEMPLATES = Path(__file__).resolve().parent / "templates"
PRIMARY_SCENARIO = "base"
SEED_SCENARIO = "seed-2023"

# Colour-blind-safe palette (Okabe-Ito, then Paul Tol's muted set); lines also differ by dash.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#999933",
    "#882255", "#44AA99", "#332288", "#AA4499", "#117733", "#888888", "#661100",
)
DASHES = ("", "7 3", "2 3", "9 3 2 3", "4 4", "1 2", "12 4")
WORKLOAD_COLOURS = {"training": "#D55E00", "inference": "#0072B2"}
# The tornado's deterministic tick: grey and dashed, so it is not read as the bars' centre.
DETERMINISTIC_COLOUR = "#59636e"

# The article's own inputs (FACTS.md S3-S12, source seed-2023), used to restate its arithmetic
# beside the model's seed-2023 result.
ARTICLE = {
    "params": 175e9,  # GPT-3 parameters (S3)
    "tokens": 300e9,  # GPT-3 training tokens (S3)
    "mfu": 0.462,  # training utilisation (S4)
    "days": 30.0,  # training time, one month (S5)
    "peak_tflops": 312.0,  # A100 dense FP16 (S6)
    "dau": 50e6,  # daily active users (S9)
    "questions": 10.0,  # questions per user per day (S9)
    "words": 400.0,  # words per answer (S9)
    "tokens_per_word": 4.0 / 3.0,  # the article's implied 0.75 words a token (FACTS)
    "utilization": 0.213,  # inference utilisation (S8)
    "firms": 10,  # top-10 Chinese firms (S12)
    "multiplier": 10.0,  # GPT-4-class at 10x GPT-3's compute (S11)
    "claim": 2e6,  # "more than 2 million" new A100s (S12)
}

# Labels of the two band series the report draws besides the headlines.
SERIES_LABELS = {
    "a100_equivalents_required": "required compute",
    "a100_a800_units_shipped": "NVIDIA A100+A800 units shipped",
}


# --- formatting --------------------------------------------------------------------------------


def fmt_int(value: float | None) -> str:
    """A number rounded to a whole number with thousands separators ('' for None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.0f}"


def fmt_num(value: float | None) -> str:
    """A readable number: whole with thousands separators from 10 up, else 3 significant
    digits ('' for None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if abs(value) >= 10 or value == 0:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_input(value: float | None) -> str:
    """An input's value: as fmt_num, but 3 significant digits in e-notation from a million up
    (parameter and token counts stay short)."""
    if value is not None and not math.isnan(value) and abs(value) >= 1e6:
        return f"{value:.3g}"
    return fmt_num(value)


def fmt_month(value: date | None) -> str:
    return value.strftime("%Y-%m") if value else ""


def _esc(text: object) -> str:
    return str(escape(str(text)))


# --- SVG charts --------------------------------------------------------------------------------


@dataclass
class Series:
    """One named sequence of monthly values (same length as the chart's months)."""

    name: str
    values: list[float]
    colour: str
    dash: str = ""


@dataclass
class Band:
    """A shaded range between two monthly sequences."""

    name: str
    lower: list[float]
    upper: list[float]
    colour: str
    opacity: float


@dataclass
class Marker:
    """A dated vertical rule, e.g. an export-control rule coming into force."""

    day: date
    label: str


@dataclass
class Table:
    """A plain data table: caption, header cells, rows of display strings."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)


@dataclass
class Chart:
    """A figure of the report: SVG, legend entries, a data table and an optional note."""

    id: str
    title: str
    svg: Markup
    legend: list[dict[str, str]]
    table: Table
    note: str = ""


W, H = 860, 330
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 16, 44


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-2.5-5 x 10^k step giving about `target` intervals over `span` (> 0)."""
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def scale_unit(vmax: float) -> tuple[float, str]:
    """Divisor and its name so axis ticks stay short (thousands, millions, billions)."""
    for div, name in ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands")):
        if vmax >= 10 * div:
            return div, name
    return 1.0, ""


def _tick_text(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if step < 1 and step * 10 ** decimals % 1:
        decimals += 1
    return f"{value:,.{decimals}f}"


def _month_index(months: Sequence[date], day: date) -> float:
    """Position of a day on the month axis (month index + fraction of that month)."""
    first = months[0]
    whole = (day.year - first.year) * 12 + (day.month - first.month)
    return whole + (day.day - 1) / calendar.monthrange(day.year, day.month)[1]


def _path(points: Iterable[tuple[float, float]]) -> str:
    out = []
    for i, (x, y) in enumerate(points):
        out.append(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}")
    return " ".join(out)


def time_chart(
    months: Sequence[date],
    *,
    title: str,
    y_label: str,
    lines: Sequence[Series] = (),
    areas: Sequence[Series] = (),
    bands: Sequence[Band] = (),
    markers: Sequence[Marker] = (),
) -> tuple[Markup, str]:
    """An SVG chart over months: stacked `areas`, shaded `bands`, `lines` on top and dated
    `markers`. Returns the SVG and the y-axis title actually drawn (with its scale)."""
    n = len(months)
    stack_top = [0.0] * n
    stacked: list[tuple[Series, list[float], list[float]]] = []
    for s in areas:
        lower = stack_top
        upper = [a + max(b, 0.0) for a, b in zip(lower, s.values, strict=True)]
        stacked.append((s, lower, upper))
        stack_top = upper
    peaks = [max(stack_top, default=0.0)]
    peaks += [max(b.upper, default=0.0) for b in bands]
    peaks += [max(s.values, default=0.0) for s in lines]
    vmax = max(peaks) if peaks else 0.0
    vmax = vmax if vmax > 0 else 1.0
    div, scale_name = scale_unit(vmax)
    step = nice_step(vmax / div)
    top_tick = math.ceil(vmax / div / step - 1e-9) * step
    y_title = f"{y_label} ({scale_name})" if scale_name else y_label

    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x_at(i: float) -> float:
        return LEFT + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y_at(v: float) -> float:
        return TOP + ph - ph * (v / div) / top_tick

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="chart">',
        f"<title>{_esc(title)}</title>",
    ]
    # y grid and ticks
    k = 0
    while k * step <= top_tick + 1e-9:
        v = k * step
        y = TOP + ph - ph * v / top_tick
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_tick_text(v, step)}</text>"
        )
        k += 1
    # x ticks: January of each year (every other year on long horizons)
    years = sorted({m.year for m in months})
    every = 1 if len(years) <= 12 else 2
    for i, m in enumerate(months):
        if m.month == 1 and (m.year - years[0]) % every == 0 or (i == 0 and m.month != 1):
            x = x_at(i)
            parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + ph}" '
                         f'y2="{TOP + ph + 5}"/>')
            label = str(m.year) if m.month == 1 else fmt_month(m)
            parts.append(f'<text class="tick" x="{x:.1f}" y="{TOP + ph + 18}" '
                         f'text-anchor="middle">{label}</text>')
        elif n <= 36 and m.month % 3 == 1 and i > 0:
            # Short horizons: quarter ticks, so a month can be read off without the table.
            x = x_at(i)
            parts.append(f'<line class="axis" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + ph}" '
                         f'y2="{TOP + ph + 3}"/>')
            parts.append(f'<text class="tick minor" x="{x:.1f}" y="{TOP + ph + 16}" '
                         f'text-anchor="middle">{calendar.month_abbr[m.month]}</text>')
    parts.append(f'<text class="axis-title" x="{LEFT + pw / 2:.1f}" y="{H - 6}" '
                 f'text-anchor="middle">month</text>')
    parts.append(f'<text class="axis-title" transform="translate(14,{TOP + ph / 2:.1f}) '
                 f'rotate(-90)" text-anchor="middle">{_esc(y_title)}</text>')
    # data
    for s, lower, upper in stacked:
        pts = [(x_at(i), y_at(v)) for i, v in enumerate(upper)]
        pts += [(x_at(i), y_at(v)) for i, v in reversed(list(enumerate(lower)))]
        parts.append(f'<path class="series area" d="{_path(pts)} Z" fill="{s.colour}" '
                     f'fill-opacity="0.85" stroke="{s.colour}"><title>{_esc(s.name)}</title>'
                     f"</path>")
    for b in bands:
        pts = [(x_at(i), y_at(v)) for i, v in enumerate(b.upper)]
        pts += [(x_at(i), y_at(v)) for i, v in reversed(list(enumerate(b.lower)))]
        parts.append(f'<path class="series band" d="{_path(pts)} Z" fill="{b.colour}" '
                     f'fill-opacity="{b.opacity}" stroke="none"><title>{_esc(b.name)}</title>'
                     f"</path>")
    for s in lines:
        pts = [(x_at(i), y_at(v)) for i, v in enumerate(s.values)]
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        parts.append(f'<path class="series line" d="{_path(pts)}" fill="none" '
                     f'stroke="{s.colour}" stroke-width="2"{dash}><title>{_esc(s.name)}</title>'
                     f"</path>")
    for mk in markers:
        pos = _month_index(months, mk.day)
        if not 0 < pos <= n - 1:
            continue  # a rule outside the horizon
        x = x_at(pos)
        parts.append(f'<line class="marker" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" '
                     f'y2="{TOP + ph}"><title>{_esc(mk.label)}</title></line>')
        parts.append(f'<text class="marker-label" transform="translate({x + 3:.1f},{TOP + 4}) '
                     f'rotate(90)">{_esc(mk.label)}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + ph}" '
                 f'y2="{TOP + ph}"/>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + ph}"/>')
    parts.append("</svg>")
    return Markup("".join(parts)), y_title


def tornado_chart(
    title: str,
    x_label: str,
    bars: Sequence[tuple[str, float, float]],
    base: float | None,
    deterministic: float | None = None,
) -> Markup:
    """A horizontal tornado: one bar per input from the headline at the input's low value to
    the headline at its high value, split at `base` (the headline with every input at its
    median, the centre the bars' low/high were computed around) when given. `deterministic`,
    if given, is drawn as a separate dashed tick: it is not the bars' centre."""
    row_h, left, right, top, bottom = 26, 300, 24, 10, 46
    height = top + bottom + row_h * max(len(bars), 1)
    values = [v for _, lo, hi in bars for v in (lo, hi)]
    values += [v for v in (base, deterministic) if v is not None]
    lo_v, hi_v = (min(values), max(values)) if values else (0.0, 1.0)
    if hi_v == lo_v:
        lo_v, hi_v = lo_v - 1, hi_v + 1
    div, scale_name = scale_unit(max(abs(lo_v), abs(hi_v)))
    step = nice_step((hi_v - lo_v) / div)
    a = math.floor(lo_v / div / step) * step
    b = math.ceil(hi_v / div / step) * step
    pw = W - left - right

    def x_at(v: float) -> float:
        return left + pw * (v / div - a) / (b - a)

    axis_title = f"{x_label} ({scale_name})" if scale_name else x_label
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" '
        f'role="img" aria-label="{_esc(title)}" class="chart tornado">',
        f"<title>{_esc(title)}</title>",
    ]
    k = 0
    while a + k * step <= b + 1e-9:
        v = a + k * step
        x = left + pw * (v - a) / (b - a)
        parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" '
                     f'y2="{height - bottom}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{_tick_text(v, step)}</text>')
        k += 1
    parts.append(f'<text class="axis-title" x="{left + pw / 2:.1f}" y="{height - 6}" '
                 f'text-anchor="middle">{_esc(axis_title)}</text>')
    for i, (name, low, high) in enumerate(bars):
        y = top + i * row_h + 4
        pivot = base if base is not None else min(low, high)
        for end, cls, colour, what in ((low, "low", "#56B4E9", "input at its P10"),
                                       (high, "high", "#D55E00", "input at its P90")):
            x0, x1 = sorted((x_at(pivot), x_at(end)))
            parts.append(
                f'<path class="series bar {cls}" d="M{x0:.1f},{y} H{max(x1, x0 + 1):.1f} '
                f'V{y + row_h - 8} H{x0:.1f} Z" fill="{colour}"><title>{_esc(name)}: '
                f"{what} gives {fmt_num(end)}</title></path>"
            )
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + row_h / 2:.1f}" '
                     f'text-anchor="end">{_esc(name)}</text>')
    if base is not None:
        x = x_at(base)
        parts.append(f'<line class="baseline" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" '
                     f'y2="{height - bottom}"><title>all inputs at their median: '
                     f"{fmt_num(base)}</title></line>")
    if deterministic is not None:
        x = x_at(deterministic)
        parts.append(f'<line class="deterministic" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" '
                     f'y2="{height - bottom}" stroke="{DETERMINISTIC_COLOUR}" stroke-width="2" '
                     f'stroke-dasharray="4 3"><title>deterministic forecast (inputs at their '
                     f"point values): {fmt_num(deterministic)}</title></line>")
    parts.append("</svg>")
    return Markup("".join(parts))


# --- data access -------------------------------------------------------------------------------


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    rel = con.execute(sql(f"report/{name}"), params)
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


def _scenario_order(scenarios: Iterable[str]) -> list[str]:
    """Base first, the article's seed last, the rest alphabetically."""
    return sorted(set(scenarios), key=lambda s: (s != PRIMARY_SCENARIO, s == SEED_SCENARIO, s))


def _legend(items: Iterable[Series | Band], kind: str) -> list[dict[str, str]]:
    out = []
    clear = 1.0  # bands are drawn on top of each other: a swatch shows the colour seen
    for it in items:
        if isinstance(it, Band):
            clear *= 1 - it.opacity
            out.append({"name": it.name, "colour": it.colour, "dash": "",
                        "kind": "band", "opacity": f"{1 - clear:.2f}"})
        else:
            out.append({"name": it.name, "colour": it.colour, "dash": it.dash, "kind": kind,
                        "opacity": "1"})
    return out


def _monthly_table(caption: str, months: Sequence[date], columns: Sequence[Series],
                   unit: str) -> Table:
    return Table(
        caption=caption,
        columns=["month"] + [f"{s.name} ({unit})" for s in columns],
        rows=[[fmt_month(m)] + [fmt_num(s.values[i]) for s in columns]
              for i, m in enumerate(months)],
        numeric=[False] + [True] * len(columns),
    )


# --- sections ----------------------------------------------------------------------------------


def _a100_a800_charts(rows: list[dict[str, Any]], scenarios: list[str]) -> list[Chart]:
    """Monthly A100+A800 units shipped and installed, one line per scenario. The seed-2023
    world (1.7 million A100s at once) gets its own chart when other scenarios are present,
    so that it does not flatten them."""
    by_scen: dict[str, dict[date, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        by_scen[r["scenario"]][r["month"]] = r
    months = sorted({r["month"] for r in rows})
    if SEED_SCENARIO in scenarios and len(scenarios) > 1:
        scenarios = [s for s in scenarios if s != SEED_SCENARIO]
    charts = []
    for metric, unit, what in (("units_shipped", "units/month", "shipped per month"),
                               ("units_installed", "units", "installed")):
        series = [
            Series(s, [float(by_scen[s].get(m, {}).get(metric) or 0.0) for m in months],
                   PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)])
            for i, s in enumerate(scenarios)
        ]
        title = f"NVIDIA A100 and A800 units {what}, by scenario"
        svg, y_title = time_chart(months, title=title, y_label=unit, lines=series)
        charts.append(Chart(
            id=f"a100-a800-{metric.replace('_', '-')}", title=title, svg=svg,
            legend=_legend(series, "line"),
            table=_monthly_table(f"{title} ({unit})", months, series, unit),
            note="Summed over firms, workloads and the A100 and A800 SKUs (family from "
                 "chips.csv)."
                 + (" The seed-2023 scenario is drawn in its own section below."
                    if SEED_SCENARIO in by_scen and len(by_scen) > 1 else ""),
        ))
    return charts


def _workload_chart(rows: list[dict[str, Any]], scenario: str) -> Chart | None:
    mine = [r for r in rows if r["scenario"] == scenario]
    if not mine:
        return None
    months = sorted({r["month"] for r in mine})
    values = {(r["month"], r["workload"]): float(r["value"]) for r in mine}
    workloads = sorted({r["workload"] for r in mine}, key=lambda w: (w != "training", w))
    series = [
        Series(w, [values.get((m, w), 0.0) for m in months],
               WORKLOAD_COLOURS.get(w, PALETTE[i % len(PALETTE)]))
        for i, w in enumerate(workloads)
    ]
    title = f"Required compute by workload, {scenario} scenario (stacked)"
    svg, _ = time_chart(months, title=title, y_label="A100-eq", areas=series)
    table = _monthly_table(f"{title} (A100-eq)", months, series, "A100-eq")
    table.columns.append("total (A100-eq)")
    table.numeric.append(True)
    for i, row in enumerate(table.rows):
        row.append(fmt_num(sum(s.values[i] for s in series)))
    return Chart(
        id=f"required-by-workload-{scenario}", title=title, svg=svg,
        legend=_legend(series, "area"), table=table,
        note="Compute the firms need (metric a100_equivalents_required), summed over firms: "
             "one A100-eq is 312 dense FP16 TFLOPS.",
    )


def _regime_label(regime: str, start: date) -> str:
    """'2025-04-09 h20-licence' for regime '2025-04-h20-licence' (no repeated month)."""
    rest = regime.removeprefix(f"{start:%Y-%m}").lstrip("-_ ")
    return f"{start:%Y-%m-%d} {rest}".strip()


def fmt_time(value: datetime | None) -> str:
    """A timestamp to the second in UTC ('' for None)."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _sku_colours(rows: list[dict[str, Any]]) -> dict[str, str]:
    """One colour per SKU for every chart, SKUs of a family next to each other."""
    skus = sorted({(r["vendor"] or "~", r["family"] or "", r["sku"]) for r in rows})
    return {sku: PALETTE[i % len(PALETTE)] for i, (_, _, sku) in enumerate(skus)}


def _sku_charts(rows: list[dict[str, Any]], regimes: list[dict[str, Any]],
                scenarios: list[str]) -> list[Chart]:
    colours = _sku_colours(rows)
    order = {sku: i for i, sku in enumerate(colours)}
    charts = []
    for scenario in scenarios:
        mine = [r for r in rows if r["scenario"] == scenario and r["metric"] == "units_shipped"]
        if not mine:
            continue
        months = sorted({r["month"] for r in mine})
        values: dict[tuple[date, str], float] = defaultdict(float)
        for r in mine:
            values[(r["month"], r["sku"])] += float(r["value"])
        # A SKU never shipped in this scenario would only add an empty legend entry.
        skus = sorted({r["sku"] for r in mine if r["value"] > 0}, key=order.__getitem__)
        series = [Series(sku, [values.get((m, sku), 0.0) for m in months], colours[sku])
                  for sku in skus]
        markers = [Marker(r["start_date"], _regime_label(r["regime"], r["start_date"]))
                   for r in regimes if r["scenario"] == scenario and r["start_date"]]
        seen: set[date] = set()
        markers = [m for m in markers if not (m.day in seen or seen.add(m.day))]
        title = f"Units shipped per month by SKU, {scenario} scenario (stacked)"
        svg, _ = time_chart(months, title=title, y_label="units/month", areas=series,
                            markers=markers)
        rules = "; ".join(m.label for m in markers
                          if 0 < _month_index(months, m.day) <= len(months) - 1)
        charts.append(Chart(
            id=f"units-by-sku-{scenario}", title=title, svg=svg,
            legend=_legend(series, "area"),
            table=_monthly_table(f"{title} (units/month)", months, series, "units/month"),
            note="Dashed rules: export-control regimes coming into force"
                 + (f" ({rules})." if rules else " (none inside the horizon).")
                 + " Domestic and other vendors' chips are included; 'other' vendors appear "
                   "in A100-eq only.",
        ))
    return charts


def _band_charts(
    rows: list[dict[str, Any]],
    point: Mapping[tuple[str, str], dict[date, float]],
    scenarios: list[str],
) -> tuple[list[Chart], bool]:
    """Band charts for the headline series; also whether any band is a sum of leaves."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[(r["scenario"], r["series"])].append(r)
    charts: list[Chart] = []
    summed = False
    for scenario in scenarios:
        for series_name, unit in (("a100_equivalents_required", "A100-eq"),
                                  ("a100_a800_units_shipped", "units/month")):
            mine = sorted(grouped.get((scenario, series_name), []), key=lambda r: r["month"])
            if not mine:
                continue
            # Beyond the primary scenario only the compute series, to keep the page short.
            if scenario != scenarios[0] and series_name != "a100_equivalents_required":
                continue
            leaves = max(r["leaves"] for r in mine)
            summed = summed or leaves > 1
            months = [r["month"] for r in mine]

            def col(key: str, rows: list[dict[str, Any]] = mine) -> list[float]:
                return [float(r[key]) if r[key] is not None else math.nan for r in rows]

            bands = [
                Band("P05-P95", col("p05"), col("p95"), "#0072B2", 0.18),
                Band("P10-P90", col("p10"), col("p90"), "#0072B2", 0.30),
            ]
            lines = [Series("P50 (median)", col("p50"), "#0072B2"),
                     Series("mean", col("mean"), "#D55E00", "7 3")]
            det = point.get((scenario, series_name))
            if det:
                lines.append(Series("deterministic", [det.get(m, 0.0) for m in months],
                                    "#000000", "2 3"))
            for b in bands:  # a missing quantile draws nothing rather than a false zero
                b.lower = [0.0 if math.isnan(v) else v for v in b.lower]
                b.upper = [0.0 if math.isnan(v) else v for v in b.upper]
            label = SERIES_LABELS[series_name]
            title = f"Uncertainty of {label}, {scenario} scenario"
            svg, _ = time_chart(months, title=title, y_label=unit, bands=bands,
                                lines=[s for s in lines if not all(map(math.isnan, s.values))])
            cols = [Series(k, col(k), "") for k in ("p05", "p10", "p50", "p90", "p95", "mean")]
            charts.append(Chart(
                id=f"bands-{series_name.replace('_', '-')}-{scenario}", title=title, svg=svg,
                legend=_legend([*bands, *lines], "line"),
                table=_monthly_table(f"{title} ({unit})", months, cols, unit),
                note=(f"Quantiles summed over {leaves:,} series (firms, workloads, SKUs): the "
                      "band of the total only if they all move together, so the true band is "
                      "narrower." if leaves > 1 else ""),
            ))
    return charts, summed


def _sensitivity_sections(
    rows: list[dict[str, Any]], comparison: Mapping[str, dict[str, Any]], top: int = 12
) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["scenario"], r["headline"])].append(r)
    out = []
    for (scenario, headline), items in sorted(
        groups.items(), key=lambda kv: (_scenario_order([kv[0][0]]), kv[0])
    ):
        unit = next((r["unit"] for r in items if r["unit"]), "") or ""
        label = label_of(headline)
        tornado = [r for r in items if r["method"] == "tornado"
                   and r["low"] is not None and r["high"] is not None]
        tornado.sort(key=lambda r: -(r["swing"] if r["swing"] is not None
                                     else abs(r["high"] - r["low"])))
        sobol = [r for r in items if r["method"] == "sobol" and r["st"] is not None]
        sobol.sort(key=lambda r: -r["st"])
        # Bars centre on the all-at-median headline the tornado was computed around; the
        # deterministic value (inputs at their point values) is only a labelled tick.
        base = next((r["baseline"] for r in tornado if r.get("baseline") is not None), None)
        det = comparison.get(scenario, {}).get(headline)
        section: dict[str, Any] = {"scenario": scenario, "headline": headline, "label": label,
                                   "unit": unit, "chart": None, "sobol": None}
        if tornado:
            shown = tornado[:top]
            title = f"Tornado: {label}, {scenario} scenario"
            svg = tornado_chart(title, unit or "headline",
                                [(r["input"], float(r["low"]), float(r["high"]))
                                 for r in shown],
                                float(base) if base is not None else None,
                                float(det) if det is not None else None)
            table = Table(
                caption=f"{title} ({unit}; all inputs at their median: {fmt_num(base)})"
                if base is not None else f"{title} ({unit})",
                columns=["input", "input P10", "input P90", f"headline at input P10 ({unit})",
                         f"headline at input P90 ({unit})", f"swing ({unit})"],
                rows=[[r["input"], fmt_input(r.get("input_low")), fmt_input(r.get("input_high")),
                       fmt_num(r["low"]), fmt_num(r["high"]),
                       fmt_num(r["swing"] if r["swing"] is not None
                               else abs(r["high"] - r["low"]))] for r in tornado],
                numeric=[False, True, True, True, True, True],
            )
            legend = [
                {"name": "input at its P10", "colour": "#56B4E9", "dash": "",
                 "kind": "area", "opacity": "1"},
                {"name": "input at its P90", "colour": "#D55E00", "dash": "",
                 "kind": "area", "opacity": "1"},
            ]
            if base is not None:
                legend.append({"name": f"all inputs at their median ({fmt_num(base)})",
                               "colour": "#000000", "dash": "", "kind": "line", "opacity": "1"})
            if det is not None:
                legend.append({"name": f"deterministic forecast ({fmt_num(det)})",
                               "colour": DETERMINISTIC_COLOUR, "dash": "4 3", "kind": "line",
                               "opacity": "1"})
            section["chart"] = Chart(
                id=f"tornado-{headline}-{scenario}".replace("_", "-"), title=title, svg=svg,
                legend=legend, table=table,
                note=" ".join(n for n in (
                    f"The {len(shown)} inputs with the largest swing of {len(tornado)}."
                    if len(tornado) > len(shown) else "",
                    "Bars start at the headline with every input at its median; the dashed "
                    "tick is the deterministic forecast (every input at its point value)."
                    if base is not None and det is not None else "",
                ) if n),
            )
        if sobol:
            section["sobol"] = Table(
                caption=f"Sobol indices: {label}, {scenario} scenario",
                columns=["input", "first-order S1", "± (95 %)", "total ST", "± (95 %)",
                         "share of ST"],
                rows=[[r["input"], f"{r['s1']:.3f}" if r["s1"] is not None else "",
                       f"{r['s1_conf']:.3f}" if r["s1_conf"] is not None else "",
                       f"{r['st']:.3f}", f"{r['st_conf']:.3f}" if r["st_conf"] is not None
                       else "", f"{max(r['st'], 0.0):.4f}"] for r in sobol[:top]],
                numeric=[False, True, True, True, True, True],
            )
        out.append(section)
    return out


def _seed_chart(need: list[dict[str, Any]], family_rows: list[dict[str, Any]]) -> Chart | None:
    """The seed-2023 world month by month: required compute by workload (stacked) with the
    A100 units installed and the article's stated total as lines."""
    if not need:
        return None
    months = [r["month"] for r in need]
    installed = {r["month"]: float(r["units_installed"]) for r in family_rows
                 if r["scenario"] == SEED_SCENARIO}
    areas = [Series("training (A100-eq)", [float(r["training"]) for r in need],
                    WORKLOAD_COLOURS["training"]),
             Series("inference (A100-eq)", [float(r["inference"]) for r in need],
                    WORKLOAD_COLOURS["inference"])]
    lines = [Series("A100 + A800 units installed", [installed.get(m, 0.0) for m in months],
                    "#000000", "2 3")]
    title = "Seed-2023 scenario: required compute and A100 units installed"
    svg, _ = time_chart(months, title=title, y_label="A100-eq or units", areas=areas,
                        lines=lines)
    return Chart(
        id="seed-2023-chart", title=title, svg=svg,
        legend=_legend(areas, "area") + _legend(lines, "line"),
        table=_monthly_table(f"{title} (A100-eq; units)", months, [*areas, *lines], "per month"),
        note="Summed over firms. In this world every chip is an A100, so one A100-eq is one unit.",
    )


def seed_reconciliation(need: list[dict[str, Any]]) -> dict[str, Any]:
    """The article's arithmetic (843 + 16,255 per GPT-3-class model; 10 firms x 10x) next to
    the model's seed-2023 result: the peak month of required compute summed over firms."""
    a = ARTICLE
    train = float(estimate_training(a["params"], a["tokens"], a["peak_tflops"], a["mfu"],
                                    a["days"]).chips)
    tokens = tokens_per_day(a["dau"], a["questions"], a["words"], a["tokens_per_word"])
    serve = float(estimate_inference(a["params"], tokens, a["peak_tflops"],
                                     a["utilization"]).chips)
    stated = a["firms"] * a["multiplier"] * (train + serve)
    peak = max(need, key=lambda r: (r["total"], -r["month"].toordinal()), default=None)
    return {
        "train": train, "serve": serve, "per_model": train + serve,
        "firms": a["firms"], "multiplier": a["multiplier"], "stated": stated,
        "claim": a["claim"], "gap_ratio": a["claim"] / stated,
        # Everything is linear in the multiplier, so this is the multiplier that reaches 2M.
        "multiplier_needed": a["claim"] / (a["firms"] * (train + serve)),
        "model_peak": peak,
        "model_ratio": (peak["total"] / stated) if peak and stated else None,
    }


# --- entry point -------------------------------------------------------------------------------


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


def report_context(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Everything the template shows for a run (raises ValueError for an unknown run)."""
    run = _rows(con, "run", run_id=run_id)
    if not run:
        raise ValueError(f"run {run_id!r} is not in the warehouse (see mart_runs)")
    run_row = run[0]
    comparison_rows = _rows(con, "scenario_comparison", run_id=run_id)
    scenarios = _scenario_order([r["scenario"] for r in comparison_rows])
    comparison_rows.sort(key=lambda r: scenarios.index(r["scenario"]))
    comparison = {r["scenario"]: r for r in comparison_rows}
    primary = scenarios[0] if scenarios else None

    family_rows = _rows(con, "a100_a800_monthly", run_id=run_id)
    workload_rows = _rows(con, "required_by_workload", run_id=run_id)
    sku_rows = _rows(con, "units_by_sku", run_id=run_id)
    regimes = _rows(con, "regimes", run_id=run_id)
    band_rows = _rows(con, "bands", run_id=run_id)
    sens_rows = _rows(con, "sensitivity", run_id=run_id)
    suites = _rows(con, "validation_suites", run_id=run_id)
    failures = _rows(con, "validation_failures", run_id=run_id)
    files = _rows(con, "input_files", run_id=run_id)

    charts: dict[str, list[Chart]] = {"nvidia": [], "workload": [], "sku": [], "bands": []}
    if scenarios:
        charts["nvidia"] = _a100_a800_charts(family_rows, scenarios)
        wl = _workload_chart(workload_rows, primary) if primary else None
        charts["workload"] = [wl] if wl else []
        charts["sku"] = _sku_charts(sku_rows, regimes, scenarios)
    # Deterministic values of the band series, drawn over their bands.
    point: dict[tuple[str, str], dict[date, float]] = defaultdict(dict)
    for r in family_rows:
        point[(r["scenario"], "a100_a800_units_shipped")][r["month"]] = float(r["units_shipped"])
    for r in workload_rows:
        d = point[(r["scenario"], "a100_equivalents_required")]
        d[r["month"]] = d.get(r["month"], 0.0) + float(r["value"])
    band_scenarios = _scenario_order({r["scenario"] for r in band_rows})
    charts["bands"], bands_summed = _band_charts(band_rows, point, band_scenarios)

    expectations = sum(s["expectations"] for s in suites)
    failed = sum(s["failed"] for s in suites)
    validation = {
        "suites": suites, "failures": failures, "expectations": expectations,
        "failed": failed,
        "status": "none" if not expectations else ("failed" if failed else "passed"),
    }
    seed = None
    if SEED_SCENARIO in scenarios:
        need = _rows(con, "seed_need", run_id=run_id, scenario=SEED_SCENARIO)
        seed = seed_reconciliation(need)
        seed["chart"] = _seed_chart(need, family_rows)
    n_charts = sum(len(v) for v in charts.values()) + bool(seed and seed["chart"])
    sensitivity = _sensitivity_sections(sens_rows, comparison)
    n_charts += sum(1 for s in sensitivity if s["chart"])
    return {
        "run_id": run_id,
        "run": run_row,
        "scenarios": scenarios,
        "primary": primary,
        "comparison": comparison_rows,
        "charts": charts,
        "bands_summed": bands_summed,
        "sensitivity": sensitivity,
        "validation": validation,
        "files": files,
        "n_scenarios_total": len(scenarios),
        "seed": seed,
        "regimes": [r for r in regimes if r["scenario"] == primary],
        "n_charts": n_charts,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }


def render_report(con: duckdb.DuckDBPyConnection, run_id: str, out_path: Path) -> Path:
    """Write the run's self-contained HTML report to `out_path` (parents created; the file is
    replaced atomically) and return the path. Reads the mart views and the run's tables
    through `con`; renders with only deterministic rows (bands and sensitivity optional)."""
    html = _environment().get_template("report.html.j2").render(
        **report_context(con, run_id)
    )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path
