"""The report's sections: rows (data.ReportData) turned into charts, tables and notes.

A section is a list of items (Chart, Table, Heading) under a title; the template renders any
section the same way. A new chart is a function `(ReportData) -> Chart | None` added to a
section's list of items (see `nvidia_section`); a new section is a function
`(ReportData) -> Section` added to SECTIONS.

The primary scenario (base) gets the full set of charts; every other scenario appears in
comparison charts (one line per scenario) and in tables, so that the page stays small with
many scenarios. SKUs, vendors, workloads and headlines are whatever the rows hold.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from chipcast.contracts import (
    A100_FAMILIES,
    HEADLINES,
    OUTPUT_METRICS,
    QUANTILE_NAMES,
    SEED_SCENARIO,
    WORKLOADS,
    label_of,
)
from chipcast.report import charts
from chipcast.report.charts import Band, Bar, Interval, Marker, Reported, Series
from chipcast.report.data import ReportData, Rows
from chipcast.report.fmt import (
    fmt_compact,
    fmt_input,
    fmt_month,
    fmt_num,
    fmt_range,
    fmt_ratio,
)

FAMILY_LABEL = " and ".join(A100_FAMILIES)  # "A100 and A800"
WORKLOAD_COLOURS = dict(zip(WORKLOADS, ("#D55E00", "#0072B2"), strict=True))
BAND_COLOUR = "#0072B2"
MEAN_COLOUR = "#D55E00"
# Calibrations of the Monte Carlo (forecast_quantiles.calibration), in the order they are
# drawn: the prior under the posterior.
CALIBRATIONS = ("prior", "posterior")
CALIBRATION_COLOURS = {"prior": "#E69F00", "posterior": BAND_COLOUR}
PRIOR_EDGE_DASH = (5, 3)  # the prior's P10 and P90 over the posterior's shaded band
# A comparison chart leaves out scenarios whose peak is more than this multiple of the
# primary's (e.g. the article's world buying 1.7 million A100s at once would flatten the
# others); they stay in the chart's table.
OFF_SCALE = 10.0
TOP_INPUTS = 12  # inputs listed for a scenario other than the primary (largest effect first)
# Headline columns whose values reach this are shown in millions, to keep the table narrow.
MILLIONS_FROM = 1e9
# mart_scenario_comparison.peak_month is the month of this headline.
PEAK_MONTH_HEADLINE = "peak_installed_units"


@dataclass
class Table:
    """A plain data table: caption, header cells, rows of display strings. `folded` tables
    are shown in a <details> element (summary: the caption)."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool] = field(default_factory=list)
    id: str = ""
    folded: bool = False
    kind: str = "table"


@dataclass
class Chart:
    """A figure: inline SVG, legend entries, its data table (under the chart) and a note."""

    id: str
    title: str
    svg: Markup
    legend: list[dict[str, str]]
    table: Table
    note: str = ""
    kind: str = "chart"


@dataclass
class Heading:
    """A sub-heading inside a section."""

    text: str
    kind: str = "heading"


@dataclass
class Paragraph:
    """A paragraph inside a section (a `callout` stands out, e.g. a result read first)."""

    text: Markup
    id: str = ""
    callout: bool = False
    kind: str = "paragraph"


Item = Chart | Table | Heading | Paragraph


@dataclass
class Section:
    """A titled part of the report: intro paragraphs, then items (charts, tables, headings);
    `empty` (with `empty_id`) is shown instead when there are no items."""

    id: str
    title: str
    nav: str
    intro: list[Markup] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    empty: Markup | None = None
    empty_id: str = ""

    @property
    def charts(self) -> int:
        return sum(1 for item in self.items if isinstance(item, Chart))


# --- helpers -----------------------------------------------------------------------------------


def _slug(*parts: str) -> str:
    return "-".join(parts).replace("_", "-").replace(" ", "-").lower()


def _legend(items: Iterable[Series | Band], kind: str) -> list[dict[str, str]]:
    out = []
    clear = 1.0  # bands are drawn on top of each other: a swatch shows the colour seen
    for it in items:
        if isinstance(it, Band):
            clear *= 1 - it.opacity
            out.append({"name": it.name, "colour": it.colour, "dash": "", "kind": "band",
                        "opacity": f"{1 - clear:.2f}"})
        else:
            out.append({"name": it.name, "colour": it.colour, "dash": charts.dash_array(it.dash),
                        "kind": kind, "opacity": "1"})
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


def _scenario_style(d: ReportData, scenario: str) -> tuple[str, tuple[float, ...]]:
    """One colour and dash per scenario, the same in every chart."""
    i = d.scenarios.index(scenario) if scenario in d.scenarios else len(d.scenarios)
    return charts.PALETTE[i % len(charts.PALETTE)], charts.DASHES[i % len(charts.DASHES)]


def _peak(values: Sequence[float]) -> float:
    return max((v for v in values if not math.isnan(v)), default=0.0)


def comparison_chart(
    d: ReportData, chart_id: str, title: str, unit: str,
    values: Mapping[str, Mapping[date, float]], note: str = "",
) -> Chart | None:
    """One line per scenario of `values` (scenario -> month -> value): scenarios off the
    primary's scale are left out of the picture but kept in the table."""
    scenarios = [s for s in d.scenarios if values.get(s)]
    if not scenarios:
        return None
    months = sorted({m for s in scenarios for m in values[s]})
    series = []
    for s in scenarios:
        colour, dash = _scenario_style(d, s)
        series.append(Series(s, [values[s].get(m, math.nan) for m in months], colour, dash))
    ref = next((_peak(s.values) for s in series if s.name == d.primary), 0.0)
    shown = [s for s in series if ref <= 0 or _peak(s.values) <= OFF_SCALE * ref]
    off = [s.name for s in series if s not in shown]
    svg = charts.time_chart(chart_id, months, title=title, y_label=unit, lines=shown)
    if off:
        note = " ".join(n for n in (note, f"Off this scale, in the table only: {', '.join(off)} "
                                          f"(peak above {OFF_SCALE:g}× {d.primary}'s).") if n)
    return Chart(id=chart_id, title=title, svg=svg, legend=_legend(shown, "line"),
                 table=_monthly_table(f"{title} ({unit})", months, series, unit), note=note)


def _by_scenario_month(rows: Rows, key: str) -> dict[str, dict[date, float]]:
    """scenario -> month -> sum of `key` over the rows (None counts as missing)."""
    out: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        if r[key] is not None:
            out[r["scenario"]][r["month"]] += float(r[key])
    return out


# --- NVIDIA A100 family ------------------------------------------------------------------------


def family_chart(d: ReportData, metric: str) -> Chart | None:
    """Monthly A100-family units (`units_shipped` or `units_installed`), one line a scenario."""
    spec = OUTPUT_METRICS[metric]
    title = f"NVIDIA {FAMILY_LABEL} {spec.label}, by scenario"
    return comparison_chart(
        d, _slug("a100-a800", metric), title, spec.unit,
        _by_scenario_month(d.family_monthly, metric),
        note=f"Summed over firms, workloads and the {FAMILY_LABEL} SKUs (family from "
             "chips.csv).")


def nvidia_section(d: ReportData) -> Section:
    items = [family_chart(d, "units_shipped"), family_chart(d, "units_installed")]
    return Section("nvidia", f"NVIDIA {FAMILY_LABEL} by scenario", "/".join(A100_FAMILIES),
                   items=[c for c in items if c])


# --- workloads ---------------------------------------------------------------------------------


def _workload_areas(d: ReportData, scenario: str | None, suffix: str = ""
                    ) -> tuple[list[date], list[Series]]:
    """Months and one series per workload (registry order first) of a scenario's required
    compute, summed over firms."""
    mine = [r for r in d.workload if r["scenario"] == scenario]
    months = sorted({r["month"] for r in mine})
    values = {(r["month"], r["workload"]): float(r["value"]) for r in mine}
    known = list(WORKLOADS)
    names = sorted({r["workload"] for r in mine},
                   key=lambda w: (known.index(w) if w in known else len(known), w))
    return months, [Series(f"{w}{suffix}", [values.get((m, w), 0.0) for m in months],
                           WORKLOAD_COLOURS.get(w, charts.PALETTE[(i + 2) % len(charts.PALETTE)]))
                    for i, w in enumerate(names)]


def workload_chart(d: ReportData, scenario: str | None) -> Chart | None:
    """Required compute of one scenario by workload, stacked, summed over firms."""
    months, series = _workload_areas(d, scenario)
    if not series:
        return None
    unit = OUTPUT_METRICS["a100_equivalents_required"].unit
    title = f"Required compute by workload, {scenario} scenario (stacked)"
    chart_id = _slug("required-by-workload", scenario or "")
    table = _monthly_table(f"{title} ({unit})", months, series, unit)
    table.columns.append(f"total ({unit})")
    table.numeric.append(True)
    for i, row in enumerate(table.rows):
        row.append(fmt_num(sum(s.values[i] for s in series)))
    return Chart(
        id=chart_id, title=title,
        svg=charts.time_chart(chart_id, months, title=title, y_label=unit, areas=series),
        legend=_legend(series, "area"), table=table,
        note="Compute the firms need (metric a100_equivalents_required), summed over firms: "
             "one A100-eq is 312 dense FP16 TFLOPS.",
    )


def required_comparison_chart(d: ReportData) -> Chart | None:
    """Required compute, all workloads and firms, one line a scenario."""
    if len(d.scenarios) < 2:
        return None
    spec = OUTPUT_METRICS["a100_equivalents_required"]
    return comparison_chart(d, "required-by-scenario", "Required compute, by scenario",
                            spec.unit, _by_scenario_month(d.workload, "value"),
                            note="Summed over firms and workloads.")


def workload_section(d: ReportData) -> Section:
    items = [workload_chart(d, d.primary), required_comparison_chart(d)]
    return Section("workloads", "Required compute by workload"
                   + (f" ({d.primary})" if d.primary else ""), "Workloads",
                   items=[c for c in items if c],
                   empty=Markup("No required-compute rows in this run."))


# --- SKUs and export controls ------------------------------------------------------------------


def _sku_order(rows: Rows) -> list[str]:
    """Every SKU of the run, those of a vendor and family next to each other."""
    return [sku for _, _, sku in sorted({(r["vendor"] or "~", r["family"] or "", r["sku"])
                                         for r in rows})]


def _regime_label(regime: str, start: date) -> str:
    """'2025-04-09 h20-licence' for regime '2025-04-h20-licence' (no repeated month)."""
    rest = regime.removeprefix(f"{start:%Y-%m}").lstrip("-_ ")
    return f"{start:%Y-%m-%d} {rest}".strip()


def sku_chart(d: ReportData, scenario: str | None) -> Chart | None:
    """Units shipped per month by SKU of one scenario, stacked, with its regimes' start
    dates as rules."""
    order = _sku_order(d.sku)
    colours = {sku: charts.PALETTE[i % len(charts.PALETTE)] for i, sku in enumerate(order)}
    mine = [r for r in d.sku if r["scenario"] == scenario and r["metric"] == "units_shipped"]
    if not mine:
        return None
    months = sorted({r["month"] for r in mine})
    values: dict[tuple[date, str], float] = defaultdict(float)
    for r in mine:
        values[(r["month"], r["sku"])] += float(r["value"])
    # A SKU never shipped in this scenario would only add an empty legend entry.
    skus = sorted({r["sku"] for r in mine if r["value"] > 0}, key=order.index)
    series = [Series(sku, [values.get((m, sku), 0.0) for m in months], colours[sku])
              for sku in skus]
    markers: list[Marker] = []
    for r in d.regimes:
        if r["scenario"] == scenario and r["start_date"] and all(
                m.day != r["start_date"] for m in markers):
            markers.append(Marker(r["start_date"], _regime_label(r["regime"], r["start_date"])))
    inside = [m.label for m in markers if months[0] < m.day <= months[-1]]
    unit = OUTPUT_METRICS["units_shipped"].unit
    title = f"Units shipped per month by SKU, {scenario} scenario (stacked)"
    chart_id = _slug("units-by-sku", scenario or "")
    return Chart(
        id=chart_id, title=title,
        svg=charts.time_chart(chart_id, months, title=title, y_label=unit, areas=series,
                              markers=markers),
        legend=_legend(series, "area"),
        table=_monthly_table(f"{title} ({unit})", months, series, unit),
        note="Dashed rules: export-control regimes coming into force"
             + (f" ({'; '.join(inside)})." if inside else " (none inside the horizon).")
             + " Domestic and other vendors' chips are included; 'other' vendors appear "
               "in A100-eq only.",
    )


def sku_year_table(d: ReportData, scenario: str) -> Table | None:
    """Units shipped by SKU and year of one scenario, SKUs that ship only (a compact table
    for non-primary scenarios)."""
    totals: dict[tuple[str, int], float] = defaultdict(float)
    for r in d.sku:
        if r["scenario"] == scenario and r["metric"] == "units_shipped":
            totals[(r["sku"], r["month"].year)] += float(r["value"])
    shipped = {sku for (sku, _), v in totals.items() if v > 0}
    skus = [s for s in _sku_order(d.sku) if s in shipped]
    if not skus:
        return None
    years = sorted({y for _, y in totals})
    return Table(caption=f"Units shipped by SKU and year, {scenario} scenario (units summed "
                         "over each year)",
                 columns=["year", *skus], numeric=[False] + [True] * len(skus),
                 rows=[[str(y)] + [fmt_num(totals.get((s, y), 0.0)) for s in skus]
                       for y in years],
                 id=_slug("units-by-sku-year", scenario), folded=True)


def regime_table(d: ReportData) -> Table | None:
    mine = [r for r in d.regimes if r["scenario"] == d.primary]
    if not mine:
        return None
    return Table(
        caption=f"Export-control regimes read by the {d.primary} scenario (export_regimes.csv)",
        columns=["regime", "from", "until", "SKUs that may be sold into China"],
        rows=[[r["regime"], str(r["start_date"]), str(r["end_date"] or "open"),
               ", ".join(r["skus"])] for r in mine],
        numeric=[False, True, True, False],  # dates: right-aligned, unbroken
        id="regime-table")


def sku_section(d: ReportData) -> Section:
    items: list[Item] = [x for x in (sku_chart(d, d.primary),
                                                        regime_table(d)) if x]
    others = [t for s in d.scenarios[1:] if (t := sku_year_table(d, s))]
    if others:
        items += [Heading("Other scenarios by SKU and year"), *others]
    return Section(
        "skus", "Units by SKU and export-control regimes", "SKUs and export controls",
        intro=[Markup("Which SKU is shipped follows the export-control regime in force: a SKU "
                      "outside the regime of a month is not sold into China that month.")],
        items=items, empty=Markup("No unit rows in this run."))


# --- uncertainty -------------------------------------------------------------------------------

BAND_SERIES = {  # series of sql/report/bands.sql -> (label, unit)
    "a100_equivalents_required": ("required compute",
                                  OUTPUT_METRICS["a100_equivalents_required"].unit),
    "a100_a800_units_shipped": (f"NVIDIA {FAMILY_LABEL} units shipped",
                                OUTPUT_METRICS["units_shipped"].unit),
}
BAND_COLUMNS = (*QUANTILE_NAMES.values(), "mean")  # columns of sql/report/bands.sql: p05 ... mean


def _band_rows(d: ReportData, scenario: str, series: str) -> Rows:
    return sorted((r for r in d.bands if r["scenario"] == scenario and r["series"] == series),
                  key=lambda r: r["month"])


def _col(rows: Rows, key: str) -> list[float]:
    return [float(r[key]) if r[key] is not None else math.nan for r in rows]


def _summed_note(rows: Rows) -> str:
    leaves = max((r["leaves"] for r in rows), default=1)
    return (f"Quantiles summed over {leaves:,} series (firms, workloads, SKUs): the band of the "
            "total only if they all move together, so the true band is narrower."
            if leaves > 1 else "")


def _deterministic(d: ReportData, scenario: str, series: str) -> dict[date, float]:
    """The deterministic values of a band series, drawn over its band."""
    if series == "a100_a800_units_shipped":
        return _by_scenario_month(d.family_monthly, "units_shipped").get(scenario, {})
    return _by_scenario_month(d.workload, "value").get(scenario, {})


def band_chart(d: ReportData, scenario: str, series: str) -> Chart | None:
    """P05-P95 and P10-P90 bands, median, mean and deterministic value of one series."""
    mine = _band_rows(d, scenario, series)
    if not mine:
        return None
    label, unit = BAND_SERIES[series]
    months = [r["month"] for r in mine]
    bands = [Band("P05-P95", _col(mine, "p05"), _col(mine, "p95"), BAND_COLOUR, 0.18),
             Band("P10-P90", _col(mine, "p10"), _col(mine, "p90"), BAND_COLOUR, 0.30)]
    lines = [Series("P50 (median)", _col(mine, "p50"), BAND_COLOUR),
             Series("mean", _col(mine, "mean"), MEAN_COLOUR, (7, 3))]
    det = _deterministic(d, scenario, series)
    if det:
        lines.append(Series("deterministic", [det.get(m, math.nan) for m in months],
                            "#000000", (2, 3)))
    lines = [s for s in lines if not all(map(math.isnan, s.values))]
    title = f"Uncertainty of {label}, {scenario} scenario"
    chart_id = _slug("bands", series, scenario)
    cols = [Series(k, _col(mine, k), "") for k in BAND_COLUMNS]
    calibrated = ("Bands of the calibrated draws (posterior: those the reported figures of "
                  "actuals.csv do not rule out)." if mine[0].get("calibration") == "posterior"
                  else "")
    return Chart(
        id=chart_id, title=title,
        svg=charts.time_chart(chart_id, months, title=title, y_label=unit, bands=bands,
                              lines=lines),
        legend=_legend([*bands, *lines], "line"),
        table=_monthly_table(f"{title} ({unit})", months, cols, unit),
        note=" ".join(n for n in (calibrated, _summed_note(mine)) if n),
    )


def _calibration_rows(d: ReportData, scenario: str, series: str) -> dict[str, Rows]:
    """calibration -> the month-ordered band rows of one series of a scenario, every
    calibration the run drew."""
    out: dict[str, Rows] = defaultdict(list)
    for r in sorted(d.calibration_bands, key=lambda r: r["month"]):
        if r["scenario"] == scenario and r["series"] == series:
            out[r["calibration"]].append(r)
    return out


def published_point(d: ReportData, scenario: str) -> str:
    """What the published point of a scenario is (mart_scenario_comparison's calibration and
    point_basis), in words."""
    row = next((r for r in d.comparison if r["scenario"] == scenario), None)
    return point_label(row) if row else "not published"


def point_label(row: Mapping[str, Any]) -> str:
    """A headline row's published point in words, from its calibration and point_basis
    columns: 'posterior median (calibrated)', 'prior median' or 'deterministic'."""
    if row.get("point_basis") == "deterministic":
        return "deterministic"
    if row.get("calibration") == "posterior":
        return "posterior median (calibrated)"
    return "prior median"


def _width_ratios(prior: Rows, posterior: Rows) -> list[float]:
    """Per month present in both, the posterior's P10-P90 width over the prior's (months
    where the prior has a width only)."""
    post = {r["month"]: r for r in posterior}
    out = []
    for r in prior:
        q = post.get(r["month"])
        if q is None or None in (r["p10"], r["p90"], q["p10"], q["p90"]):
            continue
        width = float(r["p90"]) - float(r["p10"])
        if width > 1e-9 * max(abs(float(r["p90"])), 1.0):
            out.append((float(q["p90"]) - float(q["p10"])) / width)
    return out


def calibration_chart(d: ReportData, scenario: str, series: str) -> Chart | None:
    """The posterior's P10-P90 band (shaded) and median with the prior's P10, P90 and median
    as lines over it, for a series of a scenario the run calibrated (None unless both
    calibrations have rows)."""
    found = _calibration_rows(d, scenario, series)
    if not all(found.get(c) for c in CALIBRATIONS):
        return None
    label, unit = BAND_SERIES[series]
    months = sorted({r["month"] for c in CALIBRATIONS for r in found[c]})
    values: dict[tuple[str, str], list[float]] = {}
    for c in CALIBRATIONS:
        by_month = {r["month"]: r for r in found[c]}
        for k in ("p10", "p50", "p90"):
            values[(c, k)] = [float(by_month[m][k]) if m in by_month and by_month[m][k]
                              is not None else math.nan for m in months]
    prior, post = CALIBRATION_COLOURS["prior"], CALIBRATION_COLOURS["posterior"]
    # The posterior is shaded, the prior drawn as lines on top: both stay visible whether or
    # not the calibration narrows the band.
    bands = [Band("posterior P10-P90", values[("posterior", "p10")],
                  values[("posterior", "p90")], post, 0.35)]
    lines = [Series("posterior P50", values[("posterior", "p50")], post),
             Series("prior P10", values[("prior", "p10")], prior, PRIOR_EDGE_DASH),
             Series("prior P90", values[("prior", "p90")], prior, PRIOR_EDGE_DASH),
             Series("prior P50", values[("prior", "p50")], prior, (1.5, 2))]
    cols = [Series(f"{c} {k.upper()}", values[(c, k)], "") for c in CALIBRATIONS
            for k in ("p10", "p50", "p90")]
    ratios = sorted(_width_ratios(found["prior"], found["posterior"]))
    title = f"Calibrated against prior: {label}, {scenario} scenario"
    chart_id = _slug("calibration", series, scenario)
    legend = [*_legend([*bands, lines[0]], "line"),
              {"name": "prior P10 and P90", "colour": prior, "kind": "line", "opacity": "1",
               "dash": charts.dash_array(PRIOR_EDGE_DASH)},
              *_legend(lines[3:], "line")]
    narrowing = ""
    if ratios:
        narrowing = (f"The posterior's P10-P90 is {statistics.median(ratios):.2f}× the prior's "
                     f"width (median over {len(ratios)} months; from {ratios[0]:.2f}× to "
                     f"{ratios[-1]:.2f}×).")
    return Chart(
        id=chart_id, title=title,
        svg=charts.time_chart(chart_id, months, title=title, y_label=unit, bands=bands,
                              lines=lines),
        legend=legend, table=_monthly_table(f"{title} ({unit})", months, cols, unit),
        note=" ".join(n for n in (
            narrowing,
            f"The published point of {scenario} is the {published_point(d, scenario)}.",
            _summed_note(found["posterior"])) if n),
    )


def band_table(d: ReportData, scenario: str, series: str) -> Table | None:
    """The quantiles of one series of a non-primary scenario, month by month."""
    mine = _band_rows(d, scenario, series)
    if not mine:
        return None
    label, unit = BAND_SERIES[series]
    title = f"Uncertainty of {label}, {scenario} scenario"
    table = _monthly_table(f"{title} ({unit})", [r["month"] for r in mine],
                           [Series(k, _col(mine, k), "") for k in BAND_COLUMNS], unit)
    table.id, table.folded = _slug("bands", series, scenario), True
    note = _summed_note(mine)
    table.caption += f". {note}" if note else ""
    return table


def median_comparison_chart(d: ReportData, series: str = "a100_equivalents_required"
                            ) -> Chart | None:
    """The Monte Carlo median of a band series, one line per scenario that has bands."""
    values = {s: {r["month"]: float(r["p50"]) for r in _band_rows(d, s, series)
                  if r["p50"] is not None} for s in d.scenarios}
    if sum(1 for v in values.values() if v) < 2:
        return None
    label, unit = BAND_SERIES[series]
    return comparison_chart(d, _slug("bands-median", series),
                            f"Median (P50) of {label}, by scenario", unit, values,
                            note="Monte Carlo medians; each scenario's quantiles are in the "
                                 "tables below.")


def uncertainty_section(d: ReportData) -> Section:
    primary = d.primary or ""
    items: list[Item] = [
        c for c in (band_chart(d, primary, s) for s in BAND_SERIES) if c]
    calibrated = [c for c in (calibration_chart(d, primary, s) for s in BAND_SERIES) if c]
    if calibrated:
        items += [Heading(f"Calibrated against prior ({primary})"), *calibrated]
    comparison = median_comparison_chart(d)
    tables = [t for s in d.scenarios[1:] if (t := band_table(d, s, "a100_equivalents_required"))]
    if comparison or tables:
        items += [Heading("Other scenarios"), *([comparison] if comparison else []), *tables]
    run = d.run
    draws = (f"{run['draws']:,} Monte Carlo draws ({run['sampler']} sampler, seed "
             f"{run['seed']})" if run.get("draws") else "Monte Carlo draws")
    intro = [Markup("Shaded bands: the range holding 80 % (P10-P90) and 90 % (P05-P95) of the "
                    "{}; the line is the median (P50).").format(draws)]
    if calibrated:
        intro.append(Markup(
            "The {} scenario is calibrated: its bands and published point are those of the "
            "draws the reported figures of <code>actuals.csv</code> do not rule out (history "
            "matching; see the back-test below), drawn over the prior's under "
            "<em>Calibrated against prior</em>.").format(primary))
    if any(r["leaves"] > 1 for r in d.bands):
        intro.append(Markup("Where <code>mart_bands</code> holds no total of a series, its band "
                            "is the sum of its parts' quantiles (noted under the chart)."))
    return Section(
        "uncertainty", "Uncertainty (Monte Carlo)", "Uncertainty",
        intro=intro if items else [], items=items, empty_id="no-bands",
        empty=Markup("This run has no Monte Carlo bands (<code>mart_bands</code> is empty for "
                     "it): the figures above are the deterministic forecast. Run with "
                     "<code>--draws N</code> for P05-P95 ranges."))


# --- back-test ---------------------------------------------------------------------------------


def _scored(d: ReportData, scenario: str, calibration: str) -> Rows:
    """The back-test rows of one scenario and calibration, in published order."""
    return [r for r in d.backtest if r["scenario"] == scenario
            and r["calibration"] == calibration]


def _inside(rows: Rows) -> int:
    return sum(1 for r in rows if r["inside"])


def coverage_text(rows: Rows) -> str:
    """'k of n inside P10-P90 (x %)': how many reported values the forecast's P10-P90 holds."""
    if not rows:
        return "no reported figure scored"
    k, n = _inside(rows), len(rows)
    return f"{k} of {n} inside P10-P90 ({k / n:.0%})"


def _fit_until(rows: Rows) -> date | None:
    return next((r["fit_until"] for r in rows if r["fit_until"] is not None), None)


def _out_of_sample(posterior: Rows) -> Rows:
    """The posterior's rows the calibration did not fit (scored out of sample) when it was
    calibrated up to a cutoff; none when it fitted every figure."""
    if not _fit_until(posterior):
        return []
    return [r for r in posterior if r["calibration"] == "posterior" and not r["fitted"]]


def _calibration_text(rows: Rows) -> str:
    """How a scenario's back-test rows of one calibration were scored, for captions."""
    if not rows or rows[0]["calibration"] != "posterior":
        return f"prior: the plain Monte Carlo draws ({rows[0]['draws']:,} draws)" if rows \
            else "prior"
    fitted = sum(1 for r in rows if r["fitted"])
    cut = _fit_until(rows)
    how = (f"calibrated on the {fitted} figures published by {cut:%Y-%m-%d}" if cut
           else f"calibrated on all {fitted} figures (in sample)")
    ess = rows[0]["ess"]
    kept = f", {ess:,.0f} kept" if ess is not None else ""
    return f"posterior: {how}; {rows[0]['draws']:,} draws{kept}"


def backtest_table(scenario: str, rows: Rows, *, title: str = "", table_id: str = "",
                   folded: bool = False) -> Table:
    """One scenario's back-test rows of one calibration: per reported figure its value and
    the source's range, the forecast's P10/P50/P90 of exactly that quantity (in the figure's
    own unit, which the quantity's name says: units, USD, fraction, tokens/day), whether the
    value lies inside P10-P90, reported / P50 and when it was published; a posterior table
    that mixes fitted and later figures marks those the calibration fitted. Caption: the
    coverage."""
    # A fitted column only where it tells rows apart (a calibration up to a cutoff): when
    # every figure was fitted the caption says so.
    marked = len({bool(r["fitted"]) for r in rows if r["calibration"] == "posterior"}) > 1
    columns = ["actual", "quantity", "reported", "source's range", "P10", "P50", "P90",
               "inside", "reported / P50", "published"]
    if marked:
        columns.append("fitted")
    body = []
    for r in rows:
        # spaces, not underscores: the quantity may wrap in a narrow column
        row = [r["id"], r["quantity"].replace("_", " "), fmt_compact(r["value"]),
               fmt_range(r["low"], r["high"]), fmt_compact(r["p10"]),
               fmt_compact(r["p50"]), fmt_compact(r["p90"]), "yes" if r["inside"] else "NO",
               fmt_ratio(r["ratio"]), f"{r['published']:%Y-%m-%d}"]
        if marked:
            row.append("yes" if r["fitted"] else "no")
        body.append(row)
    what = title or f"Back-test of the {scenario} scenario, {_calibration_text(rows)}"
    return Table(
        caption=f"{what}: {coverage_text(rows)}. In each figure's unit (USD, units, "
                f"fraction, tokens/day); k thousand, M million, bn billion, tn trillion.",
        columns=columns, rows=body,
        numeric=[False, False, True, True, True, True, True, False, True, True]
        + ([False] if marked else []),
        id=table_id, folded=folded)


def coverage_table(d: ReportData) -> Table | None:
    """Per scenario and calibration of the run: reported figures scored, how many lie inside
    the forecast's P10-P90, the out-of-sample share when calibrated up to a cutoff, draws and
    draws kept."""
    order = [s for s in d.scenarios if any(r["scenario"] == s for r in d.backtest)]
    order += sorted({r["scenario"] for r in d.backtest} - set(order))
    body = []
    for scenario in order:
        for calibration in CALIBRATIONS:
            rows = _scored(d, scenario, calibration)
            if not rows:
                continue
            k, n = _inside(rows), len(rows)
            oos = _out_of_sample(rows)
            cut = _fit_until(rows) if calibration == "posterior" else None
            body.append([
                scenario, calibration, str(n), str(k), f"{k / n:.0%}",
                (f"{_inside(oos)} of {len(oos)} after {cut:%Y-%m-%d}" if oos else
                 f"none published after {cut:%Y-%m-%d}") if cut else "",
                f"{rows[0]['draws']:,}",
                f"{rows[0]['ess']:,.0f}" if rows[0]["ess"] is not None else ""])
    if not body:
        return None
    columns = ["scenario", "calibration", "figures", "inside P10-P90", "coverage",
               "out of sample (inside)", "draws", "draws kept"]
    numeric = [False, False, True, True, True, True, True, True]
    if not any(row[5] for row in body):  # no calibration up to a cutoff in this run
        columns, numeric = columns[:5] + columns[6:], numeric[:5] + numeric[6:]
        body = [row[:5] + row[6:] for row in body]
    return Table(
        caption="Back-test coverage by scenario: the share of reported figures inside the "
                "forecast's P10-P90 (about 80 % if the forecast's spread is honest; a posterior "
                "calibrated on the same figures scores in sample)",
        columns=columns, rows=body, numeric=numeric, id="backtest-coverage")


def _ratio(value: float | None, reported: float) -> float:
    return float(value) / reported if value is not None else math.nan


def backtest_chart(d: ReportData, scenario: str) -> Chart | None:
    """Per reported figure of one scenario, each calibration's P10-P90 and P50 as multiples
    of the reported value, with the source's range, on a log axis (figures with a reported
    value of 0 or less are left to the tables)."""
    by_cal = {c: {r["id"]: r for r in _scored(d, scenario, c)} for c in CALIBRATIONS}
    calibrations = [c for c in CALIBRATIONS if by_cal[c]]
    if not calibrations:
        return None
    first = by_cal[calibrations[0]]
    # Calibrated up to a cutoff: the figures the posterior fitted are named so in the chart.
    fitted = ({fid for fid, r in by_cal["posterior"].items() if r["fitted"]}
              if _out_of_sample(list(by_cal["posterior"].values())) else set())
    figures, table_rows = [], []
    for fid, r in first.items():
        value = float(r["value"])
        if value <= 0:
            continue
        intervals = []
        cells = [fid, fmt_compact(value)]
        for c in calibrations:
            q = by_cal[c].get(fid)
            if q is None:
                cells += ["", "", ""]
                continue
            ratios = [_ratio(q[k], value) for k in ("p10", "p50", "p90")]
            intervals.append(Interval(
                c, *ratios, colour=CALIBRATION_COLOURS[c],
                tip=f"{fid}, {c}: P10 {fmt_compact(q['p10'])}, P50 {fmt_compact(q['p50'])}, "
                    f"P90 {fmt_compact(q['p90'])} {r['unit']} (reported "
                    f"{fmt_compact(value)})"))
            cells += [f"{x:.3g}" for x in ratios]
        figures.append(Reported(
            f"{fid} (fitted)" if fid in fitted else fid, _ratio(r["low"], value),
            _ratio(r["high"], value), intervals,
            tip=f"{fid}: reported {fmt_compact(value)} {r['unit']} (source's range "
                f"{fmt_range(r['low'], r['high'])}), published "
                f"{r['published']:%Y-%m-%d}"))
        table_rows.append(cells)
    if not figures:
        return None
    title = f"Back-test: forecast against reported figures, {scenario} scenario"
    chart_id = _slug("backtest", scenario)
    legend = [{"name": f"{c} P10-P90", "colour": CALIBRATION_COLOURS[c], "dash": "",
               "kind": "band", "opacity": "0.75"} for c in calibrations]
    legend += [{"name": "P50", "colour": "#1b1f24", "dash": "", "kind": "line",
                "opacity": "1"},
               {"name": "reported value (1) and the source's range", "colour": "#000000",
                "dash": "", "kind": "line", "opacity": "1"}]
    return Chart(
        id=chart_id, title=title,
        svg=charts.backtest_chart(chart_id, title, figures), legend=legend,
        table=Table(caption=f"{title} (forecast ÷ reported value)",
                    columns=["actual", "reported"] + [f"{c} {k}" for c in calibrations
                                                      for k in ("P10", "P50", "P90")],
                    rows=table_rows, numeric=[False] + [True] * (1 + 3 * len(calibrations))),
        note="A bar that crosses the black rule at 1 holds the reported value inside its "
             "P10-P90. Ratios beyond 0.01 to 100 (a forecast of 0, e.g. a world that ships no "
             "such chip) are drawn at the edge.")


def _scenario_backtest(d: ReportData, scenario: str) -> list[Item]:
    """A scenario drawn in full: the out-of-sample score first when calibrated up to a
    cutoff, the chart, then the table of each calibration."""
    prior, posterior = (_scored(d, scenario, c) for c in CALIBRATIONS)
    items: list[Item] = [Heading(f"{scenario} scenario")]
    cut = _fit_until(posterior)
    if cut:
        oos = _out_of_sample(posterior)
        ids = {r["id"] for r in oos}
        before = [r for r in prior if r["id"] in ids]
        fitted = len(posterior) - len(oos)
        text = (Markup("<strong>Out of sample:</strong> calibrated on the {} figures published "
                       "by {}, the posterior holds <strong>{}</strong> of the {} published "
                       "later inside its P10-P90 ({}); the prior held {} of them.").format(
                    fitted, f"{cut:%Y-%m-%d}", _inside(oos), len(oos),
                    f"{_inside(oos) / len(oos):.0%}", _inside(before))
                if oos else
                Markup("<strong>Out of sample:</strong> no figure was published after {}, so "
                       "the calibration (on all {} figures) cannot be scored out of "
                       "sample.").format(f"{cut:%Y-%m-%d}", fitted))
        items.append(Paragraph(text, id=_slug("out-of-sample", scenario),
                               callout=True))
        if oos:
            items.append(backtest_table(
                scenario, oos, table_id=_slug("backtest", scenario, "out-of-sample"),
                title=f"Out of sample, {scenario} scenario: the figures published after "
                      f"{cut:%Y-%m-%d}, scored by the posterior"))
    elif posterior:
        items.append(Paragraph(Markup(
            "The posterior was calibrated on all of these figures, so its coverage is in "
            "sample, not a test; <code>chipcast run --fit-until YYYY-MM</code> calibrates on "
            "the figures published by then and scores the later ones.")))
    if chart := backtest_chart(d, scenario):
        items.append(chart)
    for rows in (posterior, prior):
        if rows:
            items.append(backtest_table(
                scenario, rows, table_id=_slug("backtest", scenario, rows[0]["calibration"])))
    return items


def backtest_section(d: ReportData) -> Section:
    """The coverage of every scenario, then the primary and the seed scenario in full (chart
    and tables) and the other scenarios' tables folded."""
    scenarios = [s for s in d.scenarios if any(r["scenario"] == s for r in d.backtest)]
    items: list[Item] = []
    if summary := coverage_table(d):
        items.append(summary)
    drawn = [s for s in scenarios if s in (d.primary, SEED_SCENARIO)]
    for scenario in drawn:
        items += _scenario_backtest(d, scenario)
    rest = [backtest_table(s, rows, table_id=_slug("backtest", s, c), folded=True)
            for s in scenarios if s not in drawn
            for c in CALIBRATIONS if (rows := _scored(d, s, c))]
    if rest:
        items += [Heading("Other scenarios"), *rest]
    intro = [Markup(
        "Each row is a reported figure of <code>actuals.csv</code> (IDC card counts and "
        "shares, NVIDIA China revenue, token volumes, ...): the forecast's P10/P50/P90 are of "
        "exactly that quantity, computed for each Monte Carlo draw (a sum over the figure's "
        "window of one draw, then quantiles across draws). <em>inside</em>: the reported "
        "value lies within P10-P90, which an honest 80 % range does for about 80 % of the "
        "figures. <em>prior</em> scores the plain draws; <em>posterior</em> the draws the "
        "calibration kept (history matching: a draw is ruled out when its second-largest "
        "implausibility over the fitted figures exceeds 3).")]
    if SEED_SCENARIO in scenarios:
        intro.append(Markup(
            "The {} scenario is the founding article's 2023 view of the market, scored against "
            "the same figures.").format(SEED_SCENARIO))
    return Section(
        "backtest", "Back-test against reported figures", "Back-test",
        intro=intro if items else [], items=items, empty_id="no-backtest",
        empty=Markup("This run has no back-test (<code>mart_backtest</code> is empty for it): "
                     "run with <code>--draws N</code> to score the forecast against "
                     "<code>actuals.csv</code>."))


# --- sensitivity -------------------------------------------------------------------------------


def _swing(r: dict[str, Any]) -> float:
    return float(r["swing"]) if r["swing"] is not None else abs(r["high"] - r["low"])


def _tornado_rows(items: Rows) -> Rows:
    rows = [r for r in items if r["method"] == "tornado"
            and r["low"] is not None and r["high"] is not None]
    return sorted(rows, key=lambda r: (-_swing(r), r["input"]))


def _sobol_rows(items: Rows) -> Rows:
    return sorted((r for r in items if r["method"] == "sobol" and r["st"] is not None),
                  key=lambda r: (-r["st"], r["input"]))


def _deterministic_headline(d: ReportData, scenario: str, headline: str) -> float | None:
    """The deterministic value of a headline (mart_scenario_comparison's
    <headline>_deterministic: the <headline> column is the published point, a Monte Carlo
    median when the run drew)."""
    row = next((r for r in d.comparison if r["scenario"] == scenario), None)
    value = row.get(f"{headline}_deterministic") if row else None
    return float(value) if value is not None else None


def headline_tornado(d: ReportData, scenario: str, headline: str, items: Rows) -> Chart | None:
    """The tornado of one headline: the inputs with the largest swing, the all-at-median
    baseline as the bars' centre and the deterministic value as a separate dashed rule."""
    tornado = _tornado_rows(items)
    if not tornado:
        return None
    unit = next((r["unit"] for r in items if r["unit"]), "") or HEADLINES[headline].unit
    label = label_of(headline)
    base = next((float(r["baseline"]) for r in tornado if r["baseline"] is not None), None)
    det = _deterministic_headline(d, scenario, headline)
    shown = tornado[:charts.TORNADO_MAX_BARS]
    # Swings within rounding of the headline: no input moves it (e.g. a world of fixed inputs).
    unmoved = max(_swing(r) for r in tornado) <= 1e-9 * max(abs(base or 0.0), 1.0)
    title = f"Tornado: {label}, {scenario} scenario"
    chart_id = _slug("tornado", headline, scenario)
    legend = [{"name": "input at its P10", "colour": charts.LOW_COLOUR, "dash": "",
               "kind": "area", "opacity": "1"},
              {"name": "input at its P90", "colour": charts.HIGH_COLOUR, "dash": "",
               "kind": "area", "opacity": "1"}]
    if base is not None:
        legend.append({"name": f"all inputs at their median ({fmt_num(base)})",
                       "colour": charts.BASELINE_COLOUR, "dash": "", "kind": "line",
                       "opacity": "1"})
    if det is not None:
        legend.append({"name": f"deterministic forecast ({fmt_num(det)})",
                       "colour": charts.DETERMINISTIC_COLOUR,
                       "dash": charts.dash_array(charts.DETERMINISTIC_DASH), "kind": "line",
                       "opacity": "1"})
    table = Table(
        caption=f"{title} ({unit}; all inputs at their median: {fmt_num(base)})"
        if base is not None else f"{title} ({unit})",
        columns=["input", "input P10", "input P90", f"headline at input P10 ({unit})",
                 f"headline at input P90 ({unit})", f"swing ({unit})"],
        rows=[[r["input"], fmt_input(r["input_low"]), fmt_input(r["input_high"]),
               fmt_num(r["low"]), fmt_num(r["high"]), fmt_num(_swing(r))] for r in tornado],
        numeric=[False, True, True, True, True, True],
    )
    return Chart(
        id=chart_id, title=title,
        svg=charts.tornado_chart(chart_id, title, unit or "headline",
                                 [Bar(r["input"], float(r["low"]), float(r["high"]))
                                  for r in shown], base, det),
        legend=legend, table=table,
        note=" ".join(n for n in (
            "No input moves this headline: every swing is within rounding of zero."
            if unmoved else "",
            f"The {len(shown)} inputs with the largest swing of {len(tornado)}."
            if len(tornado) > len(shown) else "",
            "Bars start at the headline with every input at its median; the dashed "
            "rule is the deterministic forecast (every input at its point value)."
            if base is not None and det is not None else "",
        ) if n),
    )


def sobol_indices_table(scenario: str, headline: str, items: Rows) -> Table | None:
    sobol = _sobol_rows(items)
    if not sobol:
        return None
    return Table(
        caption=f"Sobol indices: {label_of(headline)}, {scenario} scenario",
        columns=["input", "first-order S1", "± (95 %)", "total ST", "± (95 %)", "share of ST"],
        rows=[[r["input"], _fixed(r["s1"], 3), _fixed(r["s1_conf"], 3), _fixed(r["st"], 3),
               _fixed(r["st_conf"], 3), _fixed(max(r["st"], 0.0), 4)]
              for r in sobol[:TOP_INPUTS]],
        numeric=[False, True, True, True, True, True],
    )


def _fixed(value: float | None, decimals: int) -> str:
    return f"{value:.{decimals}f}" if value is not None else ""


def _draws(d: ReportData, scenario: str) -> int | None:
    """The Monte Carlo draws of a scenario: its back-test's (more than asked when the
    calibration took more draws), else the run's."""
    found = next((r["draws"] for r in d.backtest if r["scenario"] == scenario), None)
    return int(found) if found is not None else d.run.get("draws")


def _given_rows(items: Rows) -> Rows:
    return sorted((r for r in items if r["method"] == "given_data" and r["s1"] is not None),
                  key=lambda r: (-r["s1"], r["input"]))


def given_data_table(scenario: str, headline: str, items: Rows, draws: int | None = None
                     ) -> Table | None:
    """The inputs with the largest first-order index of one headline, from the Monte Carlo's
    own draws (method given_data): S1 (binned correlation ratio) with its 95 % half-width and
    the PAWN index (computed for the top inputs only). None without such rows or when no input
    moves the headline (every S1 zero)."""
    given = _given_rows(items)
    if not given or max(abs(r["s1"]) for r in given) <= 1e-12:
        return None
    total = sum(r["s1"] for r in given)
    sample = f"{draws:,} prior draws" if draws else "the prior Monte Carlo draws"
    caption = (f"Given-data sensitivity: {label_of(headline)}, {scenario} scenario (from "
               f"{sample}; {min(TOP_INPUTS, len(given))} of {len(given)} inputs by S1; S1 "
               f"sums to {total:.2f} over all inputs")
    if total > 1.05:  # true first-order indices sum to at most 1
        caption += ", above the 1 that true first-order indices cannot exceed: read the ranking " \
                   "rather than the values"
    return Table(
        caption=caption + ")",
        columns=["input", "first-order S1 (binned)", "± (95 %)", "PAWN (median KS)"],
        rows=[[r["input"], _fixed(r["s1"], 3), _fixed(r["s1_conf"], 3),
               _fixed(r["pawn"], 3)] for r in given[:TOP_INPUTS]],
        numeric=[False, True, True, True],
        id=_slug("given-data", headline, scenario),
    )


def sensitivity_table(scenario: str, headline: str, items: Rows) -> Table | None:
    """A compact table of one headline's sensitivity in a non-primary scenario: the inputs
    with the largest swing, their headline at P10/P90 and their total Sobol index."""
    tornado = _tornado_rows(items)
    st = {r["input"]: r["st"] for r in _sobol_rows(items)}
    index, index_name = st, "Sobol total ST"
    if not st and (given := _given_rows(items)):  # --sensitivity given: S1 from the draws
        index = {r["input"]: r["s1"] for r in given}
        index_name = "given-data S1"
    ranked = tornado or [{"input": i, "low": None, "high": None, "swing": None} for i in index]
    if not ranked:
        return None
    unit = next((r["unit"] for r in items if r["unit"]), "")
    label = label_of(headline)
    base = next((r["baseline"] for r in tornado if r.get("baseline") is not None), None)
    return Table(
        caption=f"Sensitivity: {label}, {scenario} scenario ({unit}"
                + (f"; all inputs at their median: {fmt_num(base)}" if base is not None else "")
                + (f"; {TOP_INPUTS} of {len(ranked)} inputs" if len(ranked) > TOP_INPUTS
                   else "") + ")",
        columns=["input", f"headline at input P10 ({unit})", f"headline at input P90 ({unit})",
                 f"swing ({unit})", index_name],
        rows=[[r["input"], fmt_num(r["low"]), fmt_num(r["high"]),
               fmt_num(_swing(r)) if r["low"] is not None else "",
               _fixed(index.get(r["input"]), 3)] for r in ranked[:TOP_INPUTS]],
        numeric=[False, True, True, True, True],
        id=_slug("sensitivity", headline, scenario), folded=True,
    )


def sensitivity_section(d: ReportData) -> Section:
    """Tornado charts and Sobol tables for the primary and the seed scenario; compact tables
    for the others."""
    groups: dict[tuple[str, str], Rows] = defaultdict(list)
    for r in d.sensitivity:
        groups[(r["scenario"], r["headline"])].append(r)
    order = {s: i for i, s in enumerate(d.scenarios)}
    heads = list(HEADLINES)
    keys = sorted(groups, key=lambda k: (order.get(k[0], len(order)), k[0],
                                         heads.index(k[1]) if k[1] in heads else len(heads),
                                         k[1]))
    drawn = {d.primary, SEED_SCENARIO}
    items: list[Item] = []
    rest: list[Table] = []
    for scenario, headline in keys:
        group = groups[(scenario, headline)]
        if scenario in drawn:
            sobol = sobol_indices_table(scenario, headline, group)
            parts = [headline_tornado(d, scenario, headline, group), sobol,
                     None if sobol else given_data_table(scenario, headline, group,
                                                         _draws(d, scenario))]
            if any(parts):
                items.append(Heading(f"{label_of(headline)} · {scenario}"))
                items += [p for p in parts if p]
        elif table := sensitivity_table(scenario, headline, group):
            rest.append(table)
    if rest:
        items += [Heading("Other scenarios"), *rest]
    return Section(
        "sensitivity", "Sensitivity", "Sensitivity", items=items, empty_id="no-sensitivity",
        empty=Markup("No sensitivity analysis is stored for this run (table "
                     "<code>sensitivity</code>)."),
        intro=[Markup(
            "Tornado: each uncertain input is set to its P10 and P90 while the others stay at "
            "their median; bars run from the headline with every input at its median (solid "
            "line) to the headline at those two settings, largest swing first. The dashed rule "
            "is the deterministic forecast of the headline table, which puts inputs at their "
            "point values instead of their medians. Sobol indices: the share of the headline's "
            "variance due to an input alone (S1) and with its interactions (ST). Without Sobol "
            "runs (<code>--sensitivity given</code>, the default) the indices come from the "
            "Monte Carlo's own draws: the first-order S1 (the share of the headline's variance "
            "explained by the input's equal-count bins) and, for the inputs with the "
            "largest S1, PAWN (the median Kolmogorov-Smirnov distance between the headline's "
            "distribution with the input within one slice of its range and its unconditional "
            "one; 0 = no effect). Both read the prior draws, before any calibration.")]
        if items else [],
    )


# --- seed-2023 ---------------------------------------------------------------------------------


def seed_chart(d: ReportData) -> Chart | None:
    """The seed world month by month: required compute by workload (stacked) with the
    A100-family units installed as a line."""
    unit = OUTPUT_METRICS["a100_equivalents_required"].unit
    months, areas = _workload_areas(d, SEED_SCENARIO, f" ({unit})")
    if not areas:
        return None
    installed = _by_scenario_month(d.family_monthly, "units_installed").get(SEED_SCENARIO, {})
    lines = [Series(f"{FAMILY_LABEL} units installed",
                    [installed.get(m, 0.0) for m in months], "#000000", (2, 3))]
    title = f"{SEED_SCENARIO} scenario: required compute and {FAMILY_LABEL} units installed"
    chart_id = _slug(SEED_SCENARIO, "chart")
    return Chart(
        id=chart_id, title=title,
        svg=charts.time_chart(chart_id, months, title=title, y_label=f"{unit} or units",
                              areas=areas, lines=lines),
        legend=_legend(areas, "area") + _legend(lines, "line"),
        table=_monthly_table(f"{title} ({unit}; units)", months, [*areas, *lines], "per month"),
        note="Summed over firms. In this world every chip is an A100, so one A100-eq is one "
             "unit.",
    )


# --- headline table ----------------------------------------------------------------------------


def headline_columns(d: ReportData) -> list[dict[str, Any]]:
    """The headline table's columns, one per headline of chipcast.contracts.HEADLINES: key
    (the published point's column of mart_scenario_comparison), deterministic (the column of
    its deterministic value), label, unit as shown and the divisor of the values (millions
    for very large ones)."""
    out = []
    for name, h in HEADLINES.items():
        values = [abs(float(r[k])) for r in d.comparison for k in (name, f"{name}_deterministic")
                  if r.get(k) is not None]
        div = 1e6 if values and max(values) >= MILLIONS_FROM else 1.0
        out.append({"key": name, "deterministic": f"{name}_deterministic", "label": h.label,
                    "div": div,
                    "unit": f"{h.unit} million" if div > 1 else h.unit,
                    "month": "peak_month" if name == PEAK_MONTH_HEADLINE else None})
    return out


SECTIONS: tuple[Callable[[ReportData], Section], ...] = (
    nvidia_section, workload_section, sku_section, uncertainty_section, backtest_section,
    sensitivity_section,
)


def headline_rows(d: ReportData) -> Rows:
    """The headline table's rows: mart_scenario_comparison's, each with `basis`, its published
    point in words (point_label), and `show_deterministic`: a deterministic value to show under
    a Monte Carlo point."""
    return [dict(r, basis=point_label(r), show_deterministic=r.get("point_basis") == "p50")
            for r in d.comparison]


def build_sections(d: ReportData) -> list[Section]:
    """Every chart section of the report, in page order."""
    return [make(d) for make in SECTIONS]
