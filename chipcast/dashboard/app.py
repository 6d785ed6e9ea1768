"""The chipcast dashboard: a Streamlit script on the published warehouse (read-only).

Started by `chipcast dashboard`, which passes the output folder in CHIPCAST_DASHBOARD_OUT_DIR
(default forecasts/). Every panel reads the BI views (docs/marts.md) through
chipcast.dashboard.data.ServingFile, which reconnects when a publish replaces the file.
Panels: headlines, fan chart, stack by firm, SKU and vendor mix with export-regime markers,
tornado, back-test (mart_backtest when the file has it), check results and the runs shown.
"""

from __future__ import annotations

import os
from pathlib import Path

import altair as alt
import polars as pl
import streamlit as st

from chipcast.contracts import OUTPUT_METRICS, label_of
from chipcast.dashboard.data import ServingFile, number
from chipcast.project import find_project

OUT_ENV = "CHIPCAST_DASHBOARD_OUT_DIR"
FIRM_METRICS = ("a100_equivalents_required", "a100_equivalents", "units_installed",
                "units_shipped", "capex_usd", "a100_equivalents_shipped")
SKU_METRICS = ("units_shipped", "units_installed", "a100_equivalents_shipped",
               "a100_equivalents", "capex_usd")


@st.cache_resource
def serving(out_dir: str) -> ServingFile:
    """One reader per output folder for every session (it reconnects on publish)."""
    return ServingFile(Path(out_dir))


def metric_label(name: str) -> str:
    return f"{label_of(name)} ({OUTPUT_METRICS[name].unit})" if name in OUTPUT_METRICS else name


def fan_chart(frame: pl.DataFrame, title: str) -> alt.LayerChart:
    base = alt.Chart(frame.to_pandas()).encode(x=alt.X("month:T", title=None))
    layers = []
    if frame["p05"].is_not_null().any():
        layers.append(base.mark_area(opacity=0.2).encode(y=alt.Y("p05:Q", title=title),
                                                         y2="p95:Q"))
        layers.append(base.mark_area(opacity=0.35).encode(y="p10:Q", y2="p90:Q"))
    layers.append(base.mark_line(strokeDash=[4, 3], color="gray").encode(y="deterministic:Q"))
    layers.append(base.mark_line().encode(y=alt.Y("point:Q", title=title),
                                          tooltip=["month:T", "point:Q", "p10:Q", "p90:Q"]))
    return alt.layer(*layers)


def main() -> None:
    st.set_page_config(page_title="chipcast", layout="wide")
    # `chipcast dashboard` sets OUT_ENV; `streamlit run` by hand reads the nearest project's
    out_dir = os.environ.get(OUT_ENV) or str(find_project().out_dir)
    data = serving(out_dir)
    st.title("chipcast: China's AI-accelerator demand")
    if not data.exists:
        st.error(f"No published warehouse at {data.path}: run `chipcast run` first.")
        return
    choices = data.query("scenarios")
    if choices.is_empty():
        st.warning("The warehouse has no published headlines yet.")
        return
    scenarios = list(dict.fromkeys(choices["scenario"].to_list()))
    scenario = st.sidebar.selectbox("Scenario", scenarios, key="scenario")
    calibrations = choices.filter(pl.col("scenario") == scenario)["calibration"].to_list()
    calibration = st.sidebar.selectbox("Calibration", calibrations, key="calibration")
    st.sidebar.caption(f"Warehouse: {data.path} (read-only; reloads after each publish)")

    heads = data.query("headlines", scenario=scenario, calibration=calibration)
    st.subheader(f"Headlines: {scenario} ({calibration})")
    columns = st.columns(max(len(heads), 1))
    for col, row in zip(columns, heads.iter_rows(named=True), strict=False):
        band = (f"P10-P90 {number(row['p10'])} to {number(row['p90'])}"
                if row["p10"] is not None else "no Monte Carlo in this run")
        col.metric(row["label"], f"{number(row['point'])} {row['unit']}", help=(
            f"{row['definition']} ({row['window']}). Point {row['point']:,.0f} "
            f"{row['unit']} ({row['point_basis']}); "
            f"deterministic {number(row['deterministic'])}; {band}. Run {row['run_id']}."))
        col.caption(band)

    st.subheader("Forecast with uncertainty")
    metric = st.selectbox("Metric", FIRM_METRICS, format_func=metric_label, key="metric")
    fan = data.query("fan", scenario=scenario, calibration=calibration, metric=metric)
    if fan.is_empty():
        st.info("No rows for this metric.")
    else:
        st.altair_chart(fan_chart(fan, metric_label(metric)), width="stretch")
        st.caption(f"Line: point ({fan['point_basis'][0]}); dashed: deterministic; bands: "
                   f"P10-P90 and P05-P95. Run {fan['run_id'][0]}.")

    left, right = st.columns(2)
    with left:
        st.subheader("By firm")
        firms = data.query("by_firm", scenario=scenario, calibration=calibration, metric=metric)
        if firms.is_empty():
            st.info("No per-firm rows for this metric.")
        else:
            st.altair_chart(alt.Chart(firms.to_pandas()).mark_area().encode(
                x=alt.X("month:T", title=None), y=alt.Y("point:Q", stack=True,
                                                        title=metric_label(metric)),
                color="firm:N", tooltip=["firm", "month:T", "point:Q"]),
                width="stretch")
    with right:
        st.subheader("SKU and vendor mix")
        sku_metric = st.selectbox("SKU metric", SKU_METRICS, format_func=metric_label,
                                  key="sku_metric")
        skus = data.query("by_sku", scenario=scenario, calibration=calibration,
                          metric=sku_metric)
        regimes = data.query("regimes", scenario=scenario)
        if skus.is_empty():
            st.info("No per-SKU rows for this metric.")
        else:
            by = st.radio("Colour by", ("vendor", "sku"), horizontal=True, key="mix_by")
            area = alt.Chart(skus.to_pandas()).mark_area().encode(
                x=alt.X("month:T", title=None),
                y=alt.Y("sum(point):Q", stack="normalize", title="share"),
                color=f"{by}:N", tooltip=[by, "month:T", "sum(point):Q"])
            layers = [area]
            if not regimes.is_empty():
                layers.append(alt.Chart(regimes.to_pandas()).mark_rule(
                    color="black", strokeDash=[2, 2]).encode(
                    x="start_date:T", tooltip=["regime", "start_date:T", "skus"]))
            st.altair_chart(alt.layer(*layers), width="stretch")
            st.caption("Dashed lines: export-control regimes coming into force.")
        if not regimes.is_empty():
            st.dataframe(regimes.to_pandas(), hide_index=True, width="stretch")

    st.subheader("What moves the headline (tornado)")
    names = heads["headline"].to_list()
    headline = st.selectbox("Headline", names, format_func=label_of, key="tornado_headline")
    tornado = data.query("tornado", scenario=scenario, headline=headline)
    if tornado.is_empty():
        st.info("No sensitivity analysis for this scenario (run with draws and "
                "--sensitivity-n > 0).")
    else:
        st.altair_chart(alt.Chart(tornado.to_pandas()).mark_bar().encode(
            x=alt.X("low:Q", title=f"{label_of(headline)} ({tornado['unit'][0]})"), x2="high:Q",
            y=alt.Y("input:N", sort=None, title=None),
            tooltip=["input", "low:Q", "high:Q", "baseline:Q"]), width="stretch")
        st.caption(f"Input at its P10 and P90, others at their median. Run "
                   f"{tornado['run_id'][0]}.")

    st.subheader("Back-test")
    if data.has_view("mart_backtest"):
        back = data.query("backtest", scenario=scenario, calibration=calibration)
        if back.is_empty():
            st.info("No back-test rows for this scenario.")
        else:
            # a calibrated run scores out of sample the actuals it did not fit, if any
            scored = back.filter(~pl.col("fitted")) if back["fitted"].any() else back
            how = "out of sample" if scored.height < back.height else "all actuals"
            st.dataframe(back.to_pandas(), hide_index=True, width="stretch")
            st.caption(f"Coverage ({how}): {scored['inside'].mean():.0%} of {scored.height} "
                       "reported values inside P10-P90 of the figure's own quantity per draw. "
                       f"Run {back['run_id'][0]}, {back['draws'][0]:,} draws.")
    else:
        st.info("No back-test in this run.")

    st.subheader("Check results")
    checks = data.query("checks", scenario=scenario)
    if checks.is_empty():
        st.info("No check results recorded for this scenario.")
    else:
        run_id = checks["run_id"][0]
        failed = int(checks["failed"].sum())
        total = int(checks["expectations"].sum())
        (st.error if failed else st.success)(
            f"{total - failed} of {total} expectations passed (run {run_id}).")
        docs = Path(out_dir) / "validation" / run_id / "index.html"
        if docs.exists():
            st.markdown(f"Great Expectations Data Docs: [{docs}]({docs.resolve().as_uri()})")
        if failed:
            st.dataframe(data.query("check_failures", scenario=scenario).to_pandas(),
                         hide_index=True, width="stretch")
        st.dataframe(checks.drop("run_id").to_pandas(), hide_index=True,
                     width="stretch")
    with st.expander("Which run each view shows"):
        st.dataframe(data.query("vintages", scenario=scenario).to_pandas(), hide_index=True,
                     width="stretch")


main()
