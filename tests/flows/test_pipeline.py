"""The Prefect pipeline end to end on the shipped data (one shared local Prefect server)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.contracts.marts import MARTS
from chipcast.errors import CheckFailed
from chipcast.project import SHIPPED_DATA as DATA_DIR
from chipcast.store import publish
from chipcast.store import warehouse as wh
from chipcast.store.lock import HOLDER_NAME

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_server) -> tuple[Path, object]:
    """One pipeline run of two scenarios on the shipped data, shared by this module."""
    from flows.pipeline import pipeline

    out = tmp_path_factory.mktemp("forecasts")
    # A small Monte Carlo and Sobol sample: the whole path, at test speed.
    summary = pipeline(scenarios=["base", "seed-2023"], data_dir=str(DATA_DIR), out_dir=str(out),
                       draws=256, sensitivity_n=64)
    return out, summary


def _snapshot(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in (publish.RUNS_LOG, publish.LOCK_NAME, HOLDER_NAME)
        and p.parts[len(out.parts)] not in ("validation", ".cache")  # not published outputs
    }


def test_pipeline_publishes_monthly_marts_for_every_scenario(published) -> None:
    out, summary = published
    db = out / wh.DB_NAME
    assert summary.database == db and wh.header_version(db) == 67
    con = duckdb.connect(str(db), read_only=True)
    try:
        for scenario in ("base", "seed-2023"):
            row = con.execute(
                """
                SELECT min(month), max(month), count(DISTINCT month), count(DISTINCT firm),
                       list(DISTINCT workload ORDER BY workload), any_value(run_id)
                FROM mart_demand_monthly WHERE scenario = $s
                """, {"s": scenario}).fetchone()
            assert row[:3] == (date(2022, 1, 1), date(2030, 12, 1), 108), scenario
            assert row[3] >= 10 and row[4] == ["all", "inference", "training"]
            assert row[5] == summary.run_id
            shipped = dict(con.execute(
                """
                SELECT c.family, sum(m.value) FROM mart_demand_monthly m
                JOIN stg_chips c ON c.run_id = m.run_id AND c.scenario = m.scenario
                                AND c.sku = m.sku
                WHERE m.scenario = $s AND m.metric = 'units_shipped' AND m.firm = 'all'
                GROUP BY c.family
                """, {"s": scenario}).fetchall())
            # base has rows for both families; the seed-2023 world is A100 only
            need = {"base": {"A100", "A800"}, "seed-2023": {"A100"}}[scenario]
            assert need <= set(shipped), scenario
            positive = {"base": "A800", "seed-2023": "A100"}[scenario]  # the world's SKU
            assert shipped[positive] > 0, scenario
            rows = con.execute("SELECT count(*) FROM forecast WHERE scenario = $s",
                               {"s": scenario}).fetchone()[0]
            assert rows == summary.rows[scenario] > 0
        run = con.execute("SELECT status, scenarios, forecast_rows FROM runs").fetchall()
        assert run == [("published", ["base", "seed-2023"], sum(summary.rows.values()))]
        # input_files records the real bytes of each file read
        for path, sha in con.execute(
                "SELECT path, sha256 FROM input_files WHERE scenario = 'base'").fetchall():
            assert hashlib.sha256((DATA_DIR / path).read_bytes()).hexdigest() == sha
        checks = con.execute(
            "SELECT count(*), bool_and(success) FROM mart_validation").fetchone()
        assert checks[0] > 20 and checks[1] is True
        comparison = {r["scenario"]: r for r in summary.comparison}
        assert set(comparison) == {"base", "seed-2023"}
        assert comparison["base"]["a100_a800_units_shipped_2023_2025"] > 0
        # the seed world through the warehouse: 10 firms x 10 x (843.1 + 16,255.1)
        assert comparison["seed-2023"]["peak_installed_units"] == pytest.approx(1.7098e6, rel=1e-4)
        # Monte Carlo bands: ordered quantiles around a mean, for base's uncertain inputs
        bands = con.execute(
            """
            SELECT count(*), bool_and(p05 <= p10 AND p10 <= p50 AND p50 <= p90 AND p90 <= p95),
                   max(p95 - p05)
            FROM mart_bands WHERE scenario = 'base' AND metric = 'a100_equivalents_required'
            """).fetchone()
        assert bands[0] > 0 and bands[1] is True and bands[2] > 0
        # sensitivity of base: a tornado and given-data indices (the default mode) per headline
        sens = dict(con.execute(
            "SELECT method, count(*) FROM sensitivity WHERE scenario = 'base' GROUP BY 1"
        ).fetchall())
        assert sens.get("tornado", 0) > 0 and sens.get("given_data", 0) > 0
        # base calibrates (its settings): every actual scored under the prior and the
        # calibration; the comparison's point is the calibrated median; seed-2023 is not
        actuals = pl.read_csv(DATA_DIR / "actuals.csv")
        back = con.execute(
            "SELECT calibration, count(*), bool_and(inside = (p10 <= value AND value <= p90)), "
            "bool_and(p10 <= p50 AND p50 <= p90) FROM mart_backtest WHERE scenario = 'base' "
            "GROUP BY 1 ORDER BY 1").fetchall()
        assert back == [("posterior", actuals.height, True, True),
                        ("prior", actuals.height, True, True)]
        basis = dict(con.execute("SELECT scenario, calibration || ' ' || point_basis FROM "
                                 "mart_scenario_comparison").fetchall())
        assert basis == {"base": "posterior p50", "seed-2023": "prior p50"}
    finally:
        con.close()
    exported = pl.read_parquet(summary.exports / "forecast.parquet")
    assert exported.height == sum(summary.rows.values())
    assert publish.latest_run_id(out) == summary.run_id
    assert (summary.validation / "inputs-base.json").exists()
    for suite in ("forecast", "quantiles", "sensitivity"):  # every output table was checked
        assert (summary.validation / f"{suite}-base.json").exists(), suite
    html = summary.report.read_text(encoding="utf-8")
    assert summary.report == out / "report" / f"{summary.run_id}.html"
    assert summary.run_id in html and "seed-2023" in html
    assert (out / "report" / "latest.html").read_text(encoding="utf-8") == html


def test_failing_output_check_publishes_nothing_then_next_run_follows(
        published, tmp_path: Path, monkeypatch) -> None:
    from flows.pipeline import pipeline

    out = tmp_path / "forecasts"
    shutil.copytree(published[0], out)
    first = published[1].run_id
    before = _snapshot(out)

    import flows.forecast

    real = flows.forecast.deterministic

    def negative(inputs):  # the real model, then one impossible value
        frame, heads = real(inputs)
        return frame.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(-1.0).otherwise(pl.col("value"))
            .alias("value")), heads

    monkeypatch.setattr(flows.forecast, "deterministic", negative)
    with pytest.raises(CheckFailed):
        pipeline(scenarios=["seed-2023"], data_dir=str(DATA_DIR), out_dir=str(out), draws=0)
    assert _snapshot(out) == before
    assert publish.read_runs_log(out)[-1]["status"] == "failed"

    monkeypatch.setattr(flows.forecast, "deterministic", real)
    second = pipeline(scenarios=["seed-2023"], data_dir=str(DATA_DIR), out_dir=str(out), draws=0)
    con = duckdb.connect(str(out / wh.DB_NAME), read_only=True)
    try:
        latest = dict(con.execute(
            "SELECT scenario, any_value(run_id) FROM mart_demand_monthly GROUP BY 1").fetchall())
        assert latest == {"base": first, "seed-2023": second.run_id}
        statuses = con.execute("SELECT status FROM runs ORDER BY run_id").fetchall()
        assert statuses == [("published",), ("published",)]  # the failed run left no row
    finally:
        con.close()


def test_a_draws_0_run_after_a_full_run_mixes_no_runs_in_any_view(published, tmp_path) -> None:
    from flows.pipeline import pipeline

    out = tmp_path / "forecasts"
    shutil.copytree(published[0], out, symlinks=True)
    full = published[1].run_id
    quick = pipeline(scenarios=["base"], data_dir=str(DATA_DIR), out_dir=str(out),
                     draws=0).run_id
    con = duckdb.connect(str(out / wh.DB_NAME), read_only=True)
    try:
        for view, spec in MARTS.items():
            cols = wh.view_columns(con, view)
            if spec.all_runs or view == "mart_vintages" or "scenario" not in cols:
                continue
            runs = dict(con.execute(f'SELECT scenario, list(DISTINCT run_id) FROM "{view}" '  # noqa: S608 - registry names
                                    "GROUP BY 1").fetchall())
            assert all(len(r) == 1 for r in runs.values()), (view, runs)
            if "base" in runs:
                drawn = {"forecast_quantiles", "sensitivity", "backtest"}  # need draws
                want = full if drawn & set(spec.needs) else quick
                assert runs["base"] == [want], view
            if "seed-2023" in runs:
                assert runs["seed-2023"] == [full], view
        # base: the draws-0 run's deterministic values, never the older run's bands
        row = con.execute(
            "SELECT count(*), count(p50), bool_and(point_basis = 'deterministic'), "
            "bool_and(point = deterministic) FROM mart_forecast WHERE scenario = 'base'"
        ).fetchone()
        assert row[0] > 0 and row[1:] == (0, True, True)
        # seed-2023 keeps the full run: point = P50 wherever it drew the series
        row = con.execute(
            "SELECT count(*) FILTER (WHERE point_basis = 'p50'), bool_and(point = p50 OR p50 "
            "IS NULL), count(*) FILTER (WHERE p50 IS NOT NULL AND deterministic IS NULL) "
            "FROM mart_forecast WHERE scenario = 'seed-2023'").fetchone()
        assert row[0] > 0 and row[1] is True and row[2] == 0  # every band has its series
        heads = con.execute(
            "SELECT scenario, bool_and(point_basis = CASE scenario WHEN 'base' THEN "
            "'deterministic' ELSE 'p50' END), count(*) FROM mart_headlines GROUP BY 1 "
            "ORDER BY 1").fetchall()
        assert heads == [("base", True, 5), ("seed-2023", True, 5)]
        # one row per check and scenario: the two coverage results are told apart
        dup = con.execute(
            "SELECT count(*) FROM (SELECT run_id, scenario, suite, position, count(*) AS n "
            "FROM mart_validation GROUP BY ALL HAVING n > 1)").fetchone()[0]
        assert dup == 0
        scen = con.execute("SELECT DISTINCT scenario FROM mart_validation WHERE suite = "
                           "'usage.coverage' AND run_id = ? ORDER BY 1", [full]).fetchall()
        assert scen == [("base",), ("seed-2023",)]
        comments = wh.view_comments(con)
        assert all(all(c for c in cols.values()) for cols in comments.values())
    finally:
        con.close()
    # files: exports/latest is the new run's folder; every run has its Data Docs
    latest = out / "exports" / "latest"
    assert latest.is_symlink() and publish.latest_run_id(out) == quick
    assert json.loads((latest / publish.MANIFEST).read_text())["run_id"] == quick
    for run_id in (full, quick):
        index = out / "validation" / run_id / "index.html"
        assert index.exists() and "passed" in index.read_text(encoding="utf-8")
    html = (out / "report" / f"{quick}.html").read_text(encoding="utf-8")
    assert f"../validation/{quick}/index.html" in html
