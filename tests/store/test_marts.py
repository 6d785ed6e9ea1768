"""The BI views on small synthetic warehouses: one vintage per view and scenario, mart_forecast's
series and point, mart_headlines, comments from the registry, deterministic order, upgrades."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from warehouses import (
    MC_KEYS,
    R1,
    R2,
    expected_series,
    headline_rows,
    leaves,
    publish_run,
    quantile_rows,
)

from chipcast.config import RunConfig
from chipcast.contracts import HEADLINES
from chipcast.contracts.marts import MARTS
from chipcast.store import warehouse as wh
from chipcast.store.publish import write_pinned


def vintages(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, set[str]]]:
    """{view: {scenario: run_ids its rows carry}} for every view with run_id and scenario."""
    out: dict[str, dict[str, set[str]]] = {}
    for view in wh.VIEWS:
        if view == "mart_vintages":  # one row per view and scenario: it names them all
            continue
        cols = wh.view_columns(con, view)
        if "scenario" in cols and "run_id" in cols and not MARTS[view].all_runs:
            got = con.execute(f'SELECT scenario, list(DISTINCT run_id) FROM "{view}" '  # noqa: S608 - registry names
                              "GROUP BY scenario").fetchall()
            out[view] = {s: set(r) for s, r in got}
    return out


def test_a_draws_0_run_after_a_full_run_mixes_no_runs_within_a_view(con) -> None:
    publish_run(con, R1, {"base": 1.0, "bull": 3.0}, draws=True)
    wh.create_marts(con)
    publish_run(con, R2, {"base": 2.0}, draws=False)  # the views follow without re-creation
    seen = vintages(con)
    for view, by_scenario in seen.items():
        for scenario, runs in by_scenario.items():
            assert len(runs) == 1, (view, scenario, runs)
    # the forecast, headlines, leaves and SKU views show the newest run of base ...
    for view in ("mart_forecast", "mart_headlines", "mart_demand_monthly", "mart_demand_total",
                 "mart_scenario_comparison"):
        assert seen[view]["base"] == {R2} and seen[view]["bull"] == {R1}, view
    # ... without any band of the older run: its point is the draws-0 run's deterministic value
    row = con.execute(
        "SELECT point, point_basis, deterministic, p05, p50, p95, mean, \"lo-90\" "
        "FROM mart_forecast WHERE scenario = 'base' AND metric = 'units_installed' "
        "AND firm = 'all' AND workload = 'all' AND sku = 'all' AND vendor = 'all' "
        "AND month = '2024-01-01'").fetchone()
    want = expected_series(leaves("base", 2.0))[MC_KEYS[0]]
    assert row == (want, "deterministic", want, None, None, None, None, None)
    # the views that need Monte Carlo rows keep the latest run that has them, and say so
    assert seen["mart_bands"]["base"] == {R1} and seen["mart_sensitivity"]["base"] == {R1}
    vint = dict(con.execute("SELECT view_name || '/' || scenario, run_id FROM mart_vintages "
                            "WHERE scenario = 'base'").fetchall())
    assert vint["mart_forecast/base"] == R2 and vint["mart_bands/base"] == R1
    head = con.execute("SELECT point, point_basis, p50 FROM mart_headlines WHERE scenario = "
                       "'base' AND headline = 'peak_installed_units'").fetchone()
    assert head == (2.0 * 4, "deterministic", None)  # 4th headline, scale 2, no draws


def test_mart_forecast_series_are_the_forecast_rows_without_summing_again(con) -> None:
    publish_run(con, R1, {"base": 1.0}, draws=True)
    wh.create_marts(con)
    got = {(m, f, w, s, v, mo): (det, point, basis) for m, f, w, s, v, mo, det, point, basis
           in con.execute("SELECT metric, firm, workload, sku, vendor, month, deterministic, "
                          "point, point_basis FROM mart_forecast WHERE scenario = 'base'"
                          ).fetchall()}
    want = expected_series(leaves("base", 1.0))
    assert {k: v[0] for k, v in got.items()} == pytest.approx(want)
    # point: the median where the run drew the series, else the deterministic value
    for key, (det, point, basis) in got.items():
        if key in MC_KEYS:
            assert (point, basis) == (pytest.approx(1000 * 1.0), "p50"), key  # 1000 x (0.5+0.5)
        else:
            assert (point, basis) == (det, "deterministic"), key
    # bands and statsforecast-style aliases; no headline among the monthly series
    row = con.execute(
        "SELECT p05, p10, p50, p90, p95, mean, \"lo-90\", \"hi-90\", \"lo-80\", \"hi-80\", unit "
        "FROM mart_forecast WHERE metric = 'a100_equivalents_required' AND firm = 'f1' "
        "AND workload = 'training' AND month = '2024-01-01'").fetchone()
    c = 1000.0
    assert row == pytest.approx((c * .55, c * .6, c, c * 1.4, c * 1.45, c * 1.1, c * .55,
                                 c * 1.45, c * .6, c * 1.4, "A100-eq"))
    metrics = {m for (m, *_rest) in got}
    assert metrics.isdisjoint(HEADLINES)
    bands = con.execute("SELECT metric, firm, workload, sku, vendor, month FROM mart_bands"
                        ).fetchall()
    assert sorted(bands) == sorted(MC_KEYS)


def test_calibrations_are_separate_rows_sharing_the_deterministic_value(con) -> None:
    publish_run(con, R1, {"base": 1.0}, draws=True)
    wh.create_marts(con)
    wh.start_run(con, R2, RunConfig(scenarios=("base",)))
    wh.write_forecast(con, R2, pl.DataFrame(leaves("base", 1.0)))
    wh.write_headlines(con, R2, headline_rows("base", 1.0, True))
    wh.write_headlines(con, R2, headline_rows("base", 1.0, True, "posterior")
                       .filter(pl.col("stat") != "deterministic"))
    q = [r for k in MC_KEYS for cal, c in (("prior", 1000.0), ("posterior", 500.0))
         for r in quantile_rows("base", k, c, cal)]
    wh.write_quantiles(con, R2, pl.DataFrame(q))
    wh.finish_run(con, R2, "published")
    got = dict(con.execute(
        "SELECT calibration, [point, deterministic] FROM mart_forecast WHERE metric = "
        "'units_installed' AND firm = 'all' AND workload = 'all' AND sku = 'all' "
        "AND vendor = 'all' AND month = '2024-01-01'").fetchall())
    det = expected_series(leaves("base", 1.0))[MC_KEYS[0]]
    assert got == {"prior": [1000.0, det], "posterior": [500.0, det]}
    cal = con.execute("SELECT DISTINCT calibration FROM mart_headlines ORDER BY 1").fetchall()
    assert cal == [("posterior",), ("prior",)]


def test_headlines_carry_point_percentiles_and_the_registry_text(con) -> None:
    publish_run(con, R1, {"base": 1.0, "bull": 3.0}, draws=True)
    wh.create_marts(con)
    rows = con.execute("SELECT scenario, headline, label, point, point_basis, deterministic, "
                       "p10, p50, p90, mean, unit, \"window\", definition, month "
                       "FROM mart_headlines").fetchall()
    assert len(rows) == 2 * len(HEADLINES)
    for i, name in enumerate(HEADLINES):
        h = HEADLINES[name]
        row = next(r for r in rows if r[0] == "bull" and r[1] == name)
        v = 3.0 * (i + 1)
        assert row[2:] == pytest.approx((h.label, v * 1.5, "p50", v, v * 1.1, v * 1.5, v * 1.9,
                                         v * 1.4, h.unit, h.window, h.definition,
                                         date(2024, 2, 1)))
    # rows come in the key's order
    assert [(r[0], r[1]) for r in rows] == sorted((r[0], r[1]) for r in rows)


def test_every_view_and_column_has_the_registry_comment_even_in_the_pinned_file(
        tmp_path: Path) -> None:
    src = tmp_path / "src.duckdb"
    c = duckdb.connect(str(src))
    wh.create_schema(c)
    publish_run(c, R1, {"base": 1.0}, draws=True)
    wh.create_marts(c)
    c.close()
    write_pinned(src, tmp_path / "pinned.duckdb", wh.PINNED_STORAGE_VERSION)
    c = duckdb.connect(str(tmp_path / "pinned.duckdb"), read_only=True)
    try:
        comments = wh.view_comments(c)
    finally:
        c.close()
    assert set(comments) == set(wh.VIEWS) == set(MARTS)
    for view, spec in MARTS.items():
        assert comments[view].pop(None) == spec.comment
        assert list(comments[view]) == [col.name for col in spec.columns], view
        for col in spec.columns:
            assert comments[view][col.name] == col.comment and col.comment, (view, col.name)
        assert "Grain: " in spec.comment and "Vintage: " in spec.comment


def test_every_view_orders_by_a_unique_key(con) -> None:
    publish_run(con, R1, {"base": 1.0, "bull": 3.0}, draws=True)
    wh.write_validation(con, pl.DataFrame({
        "run_id": [R1] * 2, "scenario": ["base", "bull"], "suite": ["usage.coverage"] * 2,
        "position": [0, 0], "expectation": ["x"] * 2, "success": [True] * 2}))
    wh.create_marts(con)
    for view, spec in MARTS.items():
        sql_text = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?",
                               [view]).fetchone()[0]
        assert "ORDER BY" in sql_text.upper(), view
        key = ", ".join(f'"{k}"' for k in spec.key)
        n, distinct = con.execute(
            f'SELECT count(*), count(DISTINCT ({key})) FROM "{view}"'  # noqa: S608 - registry
        ).fetchone()
        assert n == distinct, view
        if not spec.order:  # rows come sorted by the key
            rows = con.execute(f'SELECT {key} FROM "{view}"').fetchall()  # noqa: S608
            assert rows == sorted(rows, key=lambda r: tuple((x is None, x) for x in r)), view


def test_an_older_file_gains_the_new_columns_with_their_defaults(con) -> None:
    old = duckdb.connect()
    old.execute("CREATE TABLE forecast_quantiles (run_id VARCHAR NOT NULL, scenario VARCHAR, "
                "month DATE, firm VARCHAR, workload VARCHAR, sku VARCHAR, metric VARCHAR, "
                "stat VARCHAR, quantile DOUBLE, value DOUBLE, unit VARCHAR)")
    old.execute("INSERT INTO forecast_quantiles VALUES ('r0', 'base', '2024-01-01', 'all', "
                "'all', 'all', 'units_installed', 'mean', NULL, 1.0, 'units')")
    old.execute("CREATE TABLE validation_results (run_id VARCHAR, suite VARCHAR, "
                "expectation VARCHAR, \"column\" VARCHAR, success BOOLEAN, "
                "unexpected_count BIGINT, sample VARCHAR, checked_at TIMESTAMPTZ)")
    wh.create_schema(old)
    assert old.execute("SELECT calibration FROM forecast_quantiles").fetchall() == [("prior",)]
    assert {"scenario", "table_name", "position", "message"} <= set(
        wh.table_columns(old, "validation_results"))
    wh.create_marts(old)  # the views bind to the upgraded tables
    old.close()


def test_docs_marts_md_is_rendered_from_the_registry() -> None:
    from chipcast.store.catalogue import DOC, marts_markdown

    text = DOC.read_text(encoding="utf-8")
    assert text == marts_markdown(), ("docs/marts.md is stale: run "
                                      "`.venv/bin/python -m chipcast.store.catalogue`")
    for view, spec in MARTS.items():  # every view and column is documented with its comment
        assert f"## `{view}`" in text and spec.comment in text
        for col in spec.columns:
            assert f"| `{col.name}` |" in text, (view, col.name)


def test_an_incomplete_run_is_named_before_it_can_publish(con) -> None:
    wh.start_run(con, R1, RunConfig(scenarios=("base", "bull"), draws=64))
    for scenario in ("base", "bull"):
        wh.write_forecast(con, R1, pl.DataFrame(leaves(scenario, 1.0)))
        wh.write_validation(con, pl.DataFrame({
            "run_id": [R1], "scenario": [scenario], "suite": ["forecast"], "position": [0],
            "expectation": ["x"], "success": [True]}))
    wh.write_headlines(con, R1, headline_rows("base", 1.0, True))
    wh.write_quantiles(con, R1, pl.DataFrame(quantile_rows("base", MC_KEYS[0], 1.0)))
    missing = wh.missing_tables(con, R1, draws=64)
    assert missing == [("base", "input_files"), ("bull", "forecast_quantiles"),
                       ("bull", "headlines"), ("bull", "input_files")]
    assert ("bull", "forecast_quantiles") not in wh.missing_tables(con, R1, draws=0)


def _view_rows(con: duckdb.DuckDBPyConnection, view: str) -> pl.DataFrame:
    """The view's rows in its own ORDER BY (its key), straight from DuckDB."""
    return con.table(view).pl()


def test_the_mart_exports_are_the_views_rows_in_their_order(con, tmp_path: Path) -> None:
    """The exports sorted in polars (EXPORT_ORDER) hold their views' rows in the views' own
    order; after a run without draws mart_bands still shows the last run with draws."""
    publish_run(con, R1, {"base": 1.0, "bear": 0.5}, draws=True)
    publish_run(con, R2, {"base": 2.0}, draws=False)  # mart_forecast: R2, mart_bands: R1
    wh.create_marts(con)
    wh.export_parquet(con, R2, tmp_path)
    bands = pl.read_parquet(tmp_path / "mart_bands.parquet")
    assert bands.height > 0 and bands["run_id"].unique().to_list() == [R1]
    for view in ("mart_forecast", "mart_bands"):
        assert pl.read_parquet(tmp_path / f"{view}.parquet").equals(_view_rows(con, view))
