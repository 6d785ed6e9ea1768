"""The BI views of the published warehouse: each view's grain, vintage rule and columns (meaning
and unit), declared once. chipcast.store.warehouse generates the views' `COMMENT ON` statements,
the tables the views read their vocabulary from (`view_needs`, `headline_catalogue`) and the
ORDER BY of each view from here; docs/marts.md is rendered from here too.

Vintage: a published run is complete for the scenarios it ran. A view shows, per scenario, the
latest published run that has rows of every table in its `needs` (for that scenario), so its
rows never mix two runs of one scenario; every row carries that `run_id`, and `mart_vintages`
lists which run each view shows. A view with no `needs` shows every published run.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipcast.contracts.outputs import ALL, HEADLINES, QUANTILE_NAMES, QUANTILES

# The point forecast a BI tool should draw: the Monte Carlo median when the run has draws for
# the series, else the deterministic value (every input at its point value).
POINT_QUANTILE = 0.50
# Central intervals under statsforecast-style names (`lo-90`/`hi-90`): level -> (low, high).
INTERVALS: dict[int, tuple[float, float]] = {
    round((hi - lo) * 100): (lo, hi)
    for lo in QUANTILES for hi in QUANTILES if lo < 0.5 < hi and abs(lo + hi - 1) < 1e-9
}
RUN = "run_id"
# The calibration of Monte Carlo rows written without one (inputs as written in data/).
PRIOR = "prior"


@dataclass(frozen=True)
class MartColumn:
    """One column of a view: what it means and its unit ('' when it is not a quantity;
    'row unit' when the row's `unit` column says)."""

    name: str
    meaning: str
    unit: str = ""

    @property
    def comment(self) -> str:
        """The text of the column's COMMENT ON (meaning, then unit)."""
        return f"{self.meaning} [{self.unit}]" if self.unit else self.meaning


@dataclass(frozen=True)
class MartSpec:
    """One view: `key` is its grain (unique per row, and its ORDER BY), `needs` the tables a
    run must have rows in for the view to show that run (see the module docstring)."""

    name: str
    purpose: str
    key: tuple[str, ...]
    columns: tuple[MartColumn, ...]
    needs: tuple[str, ...] = ()
    vintage: str = ""
    order: tuple[str, ...] = ()  # ORDER BY terms when they differ from `key`
    all_runs: bool = False  # shows every published run (history), not one run per scenario

    @property
    def grain(self) -> str:
        return " x ".join(self.key)

    @property
    def order_by(self) -> str:
        """The view's ORDER BY list: the key, so ties cannot occur."""
        return ", ".join(self.order or tuple(f'"{k}"' for k in self.key))

    @property
    def comment(self) -> str:
        """The text of the view's COMMENT ON: purpose, grain, vintage and row order."""
        if self.all_runs:
            rule = self.vintage or "every published run"
        elif self.vintage:
            rule = self.vintage
        elif self.needs:
            rule = f"per scenario, the latest published run with rows in {' and '.join(self.needs)}"
        else:
            rule = "every published run"
        order = ", ".join(self.order) if self.order else ", ".join(self.key)
        return (f"{self.purpose} Grain: {self.grain} (one row each). Vintage: {rule}. "
                f"Rows ordered by {order.replace(chr(34), '')}.")

    def column(self, name: str) -> MartColumn:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, meaning: str, unit: str = "") -> MartColumn:
    return MartColumn(name, meaning, unit)


# Shared columns.
SCENARIO = _c("scenario", "scenario name (data/scenarios/<name>.yaml)")
RUN_ID = _c(RUN, "the published run the row comes from (UTC start time + random suffix; "
            "sorts by start time)")
MONTH = _c("month", "first day of the forecast month")
FIRM = _c("firm", f"buyer: a firm (firms.csv) or a segment (segments.csv); '{ALL}' = sum "
         "over buyers")
WORKLOAD = _c("workload", f"training or inference; '{ALL}' = sum over both")
SKU = _c("sku", f"accelerator SKU (chips.csv); '{ALL}' = sum over SKUs")
VENDOR = _c("vendor", f"the SKU's vendor (chips.csv); '{ALL}' = sum over vendors")
METRIC = _c("metric", "output metric (chipcast.contracts.OUTPUT_METRICS; units in `unit`)")
UNIT = _c("unit", "unit of the row's values")
CALIBRATION = _c("calibration", "which input distributions the Monte Carlo drew: 'prior' (as "
                 "written in data/) or 'posterior' (calibrated to observations)")
POINT_BASIS = _c("point_basis", "where `point` comes from: 'p50' (Monte Carlo median) or "
                 "'deterministic' (the run had no draws for this row)")


def _quantile_columns(of: str) -> tuple[MartColumn, ...]:
    return tuple(_c(name, f"{round(q * 100)}th percentile of {of} over the Monte Carlo draws "
                    "(null without draws)", "row unit") for q, name in QUANTILE_NAMES.items())


def _interval_columns(of: str) -> tuple[MartColumn, ...]:
    cols = []
    for level, (lo, hi) in sorted(INTERVALS.items(), reverse=True):
        cols.append(_c(f"lo-{level}", f"lower end of the central {level} % interval of {of} "
                       f"(= {QUANTILE_NAMES[lo]}; statsforecast-style name)", "row unit"))
        cols.append(_c(f"hi-{level}", f"upper end of the central {level} % interval of {of} "
                       f"(= {QUANTILE_NAMES[hi]}; statsforecast-style name)", "row unit"))
    return tuple(cols)


FORECAST_COLUMNS = (
    MONTH, SCENARIO, FIRM, WORKLOAD, SKU, VENDOR, METRIC, CALIBRATION,
    _c("point", "the published point forecast: p50 when the run drew the series, else "
       "deterministic", "row unit"),
    POINT_BASIS,
    _c("deterministic", "every input at its point value (the forecast row)", "row unit"),
    _c("mean", "mean over the Monte Carlo draws (null without draws)", "row unit"),
    *_quantile_columns("the series"), *_interval_columns("the series"),
    UNIT, RUN_ID,
)

MARTS: dict[str, MartSpec] = {m.name: m for m in (
    MartSpec(
        "latest_runs", "Helper: the latest published run of each scenario (any tables).",
        key=("scenario",), columns=(SCENARIO, RUN_ID),
        vintage="per scenario, the latest published run that ran it"),
    MartSpec(
        "mart_vintages", "Which run each view shows for each scenario, and the tables a run "
        "needs to be shown by that view.",
        key=("view_name", "scenario"),
        vintage="for each view, the run it shows for the scenario",
        columns=(_c("view_name", "a view of this catalogue (docs/marts.md)"), SCENARIO,
                 RUN_ID, _c("needs", "tables the run has rows in for the scenario, which the "
                            "view needs"))),
    MartSpec(
        "forecast_series", "Helper: the forecast series of the runs mart_forecast and mart_bands "
        "show (mart_forecast is this view for its run of each scenario).",
        vintage="per scenario, the runs mart_forecast and mart_bands show (one or two)",
        key=("run_id", "scenario", "calibration", "metric", "firm", "workload", "sku", "vendor",
             "month"),
        all_runs=True, columns=FORECAST_COLUMNS),
    MartSpec(
        "mart_forecast", "The published forecast: point, deterministic value and Monte Carlo "
        "bands of every series, all from one run. Series (chipcast.model.series): per buyer "
        f"(sku and vendor '{ALL}'), per SKU (firm '{ALL}'), per vendor (sku '{ALL}') and the "
        f"market totals ('{ALL}' = summed over that dimension): filter one partition before "
        "summing. Every series has Monte Carlo bands when the run drew.",
        key=("scenario", "calibration", "metric", "firm", "workload", "sku", "vendor", "month"),
        needs=("forecast",),
        vintage="per scenario, the latest published run with forecast rows; bands only from "
                "that same run (a later --draws 0 run shows null bands, never an older run's)",
        columns=FORECAST_COLUMNS),
    MartSpec(
        "mart_headlines", "The headline numbers of each scenario (definitions in "
        "chipcast.contracts.HEADLINES): point, deterministic value, mean and percentiles.",
        key=("scenario", "calibration", "headline"), needs=("headlines",),
        columns=(SCENARIO, CALIBRATION, _c("headline", "headline id"),
                 _c("label", "a reader's label"),
                 _c("point", "the published point: p50 when the run had draws, else "
                    "deterministic", "row unit"), POINT_BASIS,
                 _c("deterministic", "every input at its point value", "row unit"),
                 _c("mean", "mean over the Monte Carlo draws (null without draws)", "row unit"),
                 *_quantile_columns("the headline"), UNIT,
                 _c("window", "the months the headline covers ('whole horizon' or "
                    "first..last)"),
                 _c("month", "month of the deterministic value: for a peak, the earliest month "
                    "within 1e-9 (relative) of the maximum (ties go to the earliest month); "
                    "otherwise the window's last month"),
                 _c("definition", "what the headline counts"), RUN_ID)),
    MartSpec(
        "mart_demand_monthly", "The deterministic forecast (every input at its point value) as "
        f"published: per buyer (sku and vendor '{ALL}'), per SKU (firm '{ALL}'), per vendor "
        f"(sku '{ALL}') and the market totals; filter one partition before summing.",
        key=("scenario", "month", "firm", "workload", "sku", "vendor", "metric"),
        needs=("forecast",),
        columns=(MONTH, SCENARIO, FIRM, WORKLOAD, SKU, VENDOR, METRIC,
                 _c("value", "deterministic value", "row unit"), UNIT, RUN_ID)),
    MartSpec(
        "mart_demand_total", f"The market totals of mart_demand_monthly (its firm '{ALL}' "
        "rows: every buyer summed by the model).",
        key=("scenario", "month", "workload", "sku", "vendor", "metric"), needs=("forecast",),
        columns=(MONTH, SCENARIO, WORKLOAD, SKU, VENDOR, METRIC,
                 UNIT, _c("value", "deterministic value summed over buyers", "row unit"),
                 _c("buyers", "buyers (firms and segments) with rows of this metric and month",
                    "buyers"), RUN_ID)),
    MartSpec(
        "mart_scenario_comparison", "The headline numbers of each scenario side by side: "
        "the published point (the median; the calibrated one when the run was calibrated) and "
        "the deterministic value (mart_headlines has the percentiles).",
        key=("scenario",), needs=("headlines",),
        columns=(SCENARIO, RUN_ID,
                 _c("calibration", "which draws the point summarises: 'posterior' when the "
                    "run was calibrated on actuals.csv, else 'prior'"), POINT_BASIS,
                 *(c for name, h in HEADLINES.items() for c in (
                     _c(name, f"{h.label}: {h.definition} (the published point)", h.unit),
                     _c(f"{name}_deterministic", f"{h.label}, every input at its point value",
                        h.unit))),
                 _c("peak_month", "month of the deterministic peak of installed units (the "
                    "earliest month within 1e-9 relative of the maximum)"),
                 _c("first_month", "first month of the forecast"),
                 _c("last_month", "last month of the forecast"))),
    MartSpec(
        "mart_bands", "The rows of the forecast series that have Monte Carlo bands (headlines "
        "are in mart_headlines).",
        key=("scenario", "calibration", "month", "firm", "workload", "sku", "vendor", "metric"),
        needs=("forecast_quantiles",),
        vintage="per scenario, the latest published run with Monte Carlo rows (after a "
                "--draws 0 run this is an older run than mart_forecast's: compare run_id, or "
                "read mart_forecast, whose point and bands always share one run)",
        columns=(SCENARIO, MONTH, FIRM, WORKLOAD, SKU, VENDOR, METRIC, CALIBRATION, UNIT,
                 _c("point", "the published point forecast (= p50)", "row unit"),
                 _c("deterministic", "every input at its point value, leaves summed to the "
                    "row's grain", "row unit"),
                 *_quantile_columns("the series"),
                 _c("mean", "mean over the Monte Carlo draws", "row unit"), RUN_ID)),
    MartSpec(
        "mart_sensitivity", "Which inputs move each headline: tornado swings, Sobol indices "
        "and given-data indices (binned S1 and PAWN from the Monte Carlo's own draws).",
        key=("scenario", "headline", "method", "input"), needs=("sensitivity",),
        order=("scenario", "headline", "method", "swing DESC NULLS LAST", "st DESC NULLS LAST",
               '"input"'),
        columns=(SCENARIO, _c("headline", "headline id"),
                 _c("input", "input parameter id, <table>:<key>:<metric>"),
                 _c("method", "tornado, sobol or given_data"),
                 _c("low", "headline with the input at its P10, others at their median",
                    "row unit"),
                 _c("high", "headline with the input at its P90, others at their median",
                    "row unit"),
                 _c("swing", "|high - low|", "row unit"),
                 _c("baseline", "headline with every input at its median", "row unit"),
                 _c("input_low", "the input's P10", "input's unit"),
                 _c("input_high", "the input's P90", "input's unit"),
                 _c("s1", "Sobol first-order index", "fraction of variance"),
                 _c("s1_conf", "95 % half-width of s1", "fraction of variance"),
                 _c("st", "Sobol total index", "fraction of variance"),
                 _c("st_conf", "95 % half-width of st", "fraction of variance"),
                 _c("pawn", "PAWN index (given_data, the inputs with the largest S1): the "
                    "median Kolmogorov-Smirnov distance between the headline's distribution "
                    "and its distribution with the input held in a slice", "0-1"),
                 UNIT, RUN_ID)),
    MartSpec(
        "mart_backtest", "How each scenario's forecast fared against reported figures "
        "(actuals.csv): per actual the P10/P50/P90 of exactly its quantity over the draws, "
        "under the prior and, when the run was calibrated, under the calibration.",
        key=("scenario", "calibration", "id"), needs=("backtest",),
        columns=(SCENARIO, _c("calibration", "'prior' (every draw) or 'posterior' (the draws "
                              "the fitted actuals did not rule out)"),
                 _c("id", "the actual's id (actuals.csv)"),
                 _c("quantity", "what the figure counts (chipcast.contracts.ACTUAL_QUANTITIES)"),
                 _c("value", "the reported figure", "row unit"),
                 _c("low", "the figure's reported or judged low", "row unit"),
                 _c("high", "the figure's reported or judged high", "row unit"),
                 _c("p10", "10th percentile of the quantity over the draws", "row unit"),
                 _c("p50", "median of the quantity over the draws", "row unit"),
                 _c("p90", "90th percentile of the quantity over the draws", "row unit"),
                 _c("inside", "true when the reported value lies within P10-P90"),
                 _c("ratio", "reported / P50", "x"),
                 _c("fitted", "true when the calibration used this figure (posterior rows "
                    "only): an out-of-sample score reads the rows where it is false"),
                 _c("published", "when the figure became public"),
                 _c("fit_until", "the calibration's cutoff (null: every actual fitted)"),
                 _c("draws", "Monte Carlo draws scored", "draws"),
                 _c("ess", "draws the calibration kept (posterior rows)", "draws"),
                 UNIT, RUN_ID)),
    MartSpec(
        "mart_skus", "The accelerator SKUs the published forecast used (chips.csv as read).",
        key=("scenario", "sku"), needs=("forecast",),
        vintage="the run mart_forecast shows for the scenario",
        columns=(SCENARIO, _c("sku", "accelerator SKU"), _c("family", "chip family"),
                 _c("vendor", "vendor"), _c("form_factor", "form factor"),
                 _c("launch_date", "launch date"),
                 _c("export_control", "'us': a US export-controlled part (legal in China only "
                    "under a regime of mart_export_regimes); 'none': domestic"), RUN_ID)),
    MartSpec(
        "mart_export_regimes", "Export-control regimes the published forecast used: which SKUs "
        "may be sold into China, and when (domestic chips are always legal).",
        key=("scenario", "start_date", "regime", "sku"), needs=("forecast",),
        vintage="the run mart_forecast shows for the scenario",
        columns=(SCENARIO, _c("regime", "regime id"), _c("start_date", "first day in force"),
                 _c("end_date", "last day in force (null: open-ended)"),
                 _c("sku", "SKU allowed under the regime"),
                 _c("source", "where the regime comes from"), RUN_ID)),
    MartSpec(
        "mart_runs", "Every run recorded in the published warehouse, newest first.",
        key=("run_id",), order=("run_id DESC",),
        vintage="every run in the file (failed runs are only in forecasts/runs.log)",
        columns=(RUN_ID, _c("scenarios", "scenarios the run computed"),
                 _c("status", "running | published"),
                 _c("started_at", "start time (UTC)"), _c("finished_at", "end time (UTC)"),
                 _c("seconds", "run time", "s"), _c("seed", "random seed"),
                 _c("draws", "Monte Carlo draws per scenario (0 = deterministic only)",
                    "draws"),
                 _c("sampler", "how inputs were drawn"),
                 _c("code_version", "chipcast version + git commit"),
                 _c("input_hash", "sha256 over the input files read"),
                 _c("forecast_rows", "forecast rows written", "rows"),
                 _c("input_files", "input files read", "files"),
                 _c("expectations", "expectations evaluated", "expectations"),
                 _c("failed_expectations", "expectations that failed", "expectations"),
                 _c("is_latest", "true for the newest published run"),
                 _c("error", "error text (null when published)"))),
    MartSpec(
        "mart_validation", "Data-check (Great Expectations) results of every published run; "
        "the HTML Data Docs of a run are in forecasts/validation/<run_id>/index.html.",
        key=("run_id", "scenario", "table_name", "suite", "position"),
        order=("run_id DESC", "scenario", "table_name", "suite", "position"),
        needs=("validation_results",), all_runs=True,
        vintage="every published run; is_latest_run marks, per scenario, the latest published "
                "run with check results",
        columns=(RUN_ID, _c("started_at", "the run's start time (UTC)"), SCENARIO,
                 _c("table_name", "the checked table (input file or output table)"),
                 _c("suite", "expectation suite, <table>[.<group check>]"),
                 _c("position", "the expectation's place in its suite (0-based)"),
                 _c("expectation", "GX expectation type"),
                 _c("column", "checked column(s); null for a table-level expectation"),
                 _c("message", "what the expectation asserts, in words"),
                 _c("success", "true when the expectation held"),
                 _c("unexpected_count", "rows that broke it", "rows"),
                 _c("sample", "a few offending values"),
                 _c("checked_at", "when it was evaluated (UTC)"),
                 _c("is_latest_run", "true for the scenario's latest published run"))),
)}

# mart_forecast's series dimensions ('all' = summed over that dimension).
SERIES_DIMENSIONS = ("firm", "workload", "sku", "vendor")
