"""Warehouse schema, staging and marts on small synthetic frames (no Prefect)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.config import RunConfig
from chipcast.contracts import HEADLINES, TABLES
from chipcast.contracts.marts import MARTS
from chipcast.inputs import InputFile, Inputs, ScenarioSettings
from chipcast.inputs.types import schema
from chipcast.project import SQL_DIR
from chipcast.store import warehouse as wh


def leaf(month: date, firm: str, workload: str, sku: str, metric: str, value: float,
         scenario: str = "base") -> dict:
    units = {"units_shipped": "units/month", "units_installed": "units",
             "a100_equivalents": "A100-eq", "a100_equivalents_shipped": "A100-eq/month",
             "capex_usd": "USD/month"}
    return dict(month=month, scenario=scenario, firm=firm, workload=workload, sku=sku,
                metric=metric, value=float(value), unit=units[metric])


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, scenarios: tuple[str, ...],
            rows: list[dict], status: str = "published", headlines: pl.DataFrame | None = None,
            quantiles: pl.DataFrame | None = None) -> None:
    """A run as the pipeline writes it: every table first, then closed (published)."""
    wh.start_run(con, run_id, RunConfig(scenarios=scenarios))
    wh.write_forecast(con, run_id, pl.DataFrame(rows))
    if headlines is not None:
        wh.write_headlines(con, run_id, headlines)
    if quantiles is not None:
        wh.write_quantiles(con, run_id, quantiles)
    if status != "running":
        wh.finish_run(con, run_id, status)


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    wh.create_schema(c)
    yield c
    c.close()


def test_every_sql_file_holds_one_statement_with_a_header_comment() -> None:
    files = sorted(SQL_DIR.rglob("*.sql"))
    assert len(files) >= 30
    c = duckdb.connect()
    for path in files:
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(SQL_DIR).with_suffix(""))
        assert wh.sql(name) == text
        if name.startswith("marts/"):  # templates: placeholders filled from the registry
            text = wh.mart_sql(name.removeprefix("marts/"))
        elif name == "staging/create_table":
            text = wh.staging_ddl(TABLES["chips"])
        elif name == "warehouse/comment_view":
            text = wh.comment_statements(MARTS["mart_runs"])[0]
        elif name == "warehouse/comment_column":
            text = wh.comment_statements(MARTS["mart_runs"])[1]
        elif name in ("warehouse/insert_by_name", "warehouse/prune_table"):
            text = text.replace("{table}", "forecast")
        assert "{" not in text.split("\n", 3)[-1] or name.startswith("warehouse/"), path
        assert len(c.extract_statements(text)) == 1, path
        if path.parent.name in ("schema", "staging", "marts", "upgrade"):
            assert text.startswith("-- ") and "grain" in text.lower(), path
    with pytest.raises(ValueError, match="outside"):
        wh.sql("../pyproject")


def test_schema_is_idempotent_and_staging_matches_the_input_contract(con) -> None:
    wh.create_schema(con)  # a second time: no error, nothing dropped
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert set(wh.SCHEMA_TABLES) <= tables
    assert {f"stg_{name}" for name in TABLES} == set(wh.staging_tables())
    for name, spec in TABLES.items():
        assert wh.table_columns(con, f"stg_{name}") == [
            "run_id", "scenario", *spec.all_columns, "_file", "_row"]


def _inputs() -> Inputs:
    frames = {name: pl.DataFrame(schema=schema(spec)) for name, spec in TABLES.items()}
    frames["chips"] = pl.DataFrame(
        {"sku": ["A100-80GB-SXM"], "family": ["A100"], "aliases": [["A100", "a100-80"]],
         "vendor": ["NVIDIA"], "form_factor": ["SXM"], "launch_date": [date(2020, 11, 16)],
         "source": ["nvidia datasheet"], "_file": ["chips.csv"], "_row": [1]},
        schema=schema(TABLES["chips"]),
    )
    frames["fleet"] = pl.DataFrame(
        {"metric": ["reference_tflops"], "value": [312.0], "unit": ["TFLOPS"], "dist": ["fixed"],
         "low": [312.0], "mode": [None], "high": [312.0], "source": ["a100"], "note": [None],
         "_file": ["fleet.csv"], "_row": [1]},
        schema=schema(TABLES["fleet"]),
    )
    files = [InputFile("chips.csv", "ab" * 32, 1), InputFile("fleet.csv", "cd" * 32, 1)]
    return Inputs(**frames, settings=ScenarioSettings("base"), files=files)


def test_stage_inputs_keeps_types_keys_and_file_hashes(con) -> None:
    written = wh.stage_inputs(con, "r1", "base", _inputs())
    assert written["stg_chips"] == 1 and written["stg_fleet"] == 1 and written["stg_usage"] == 0
    row = con.execute(
        "SELECT run_id, scenario, sku, aliases, launch_date, _row FROM stg_chips").fetchone()
    assert row == ("r1", "base", "A100-80GB-SXM", ["A100", "a100-80"], date(2020, 11, 16), 1)
    files = con.execute("SELECT path, sha256, rows FROM input_files ORDER BY path").fetchall()
    assert files == [("chips.csv", "ab" * 32, 1), ("fleet.csv", "cd" * 32, 1)]


def test_append_frame_matches_by_name_and_refuses_unknown_tables(con) -> None:
    frame = pl.DataFrame([leaf(date(2023, 1, 1), "f", "training", "A100", "units_shipped", 1)])
    frame = frame.select(list(reversed(frame.columns))).with_columns(pl.lit(1).alias("extra"))
    assert wh.write_forecast(con, "r1", frame) == 1
    got = con.execute("SELECT run_id, month, sku, value FROM forecast").fetchone()
    assert got == ("r1", date(2023, 1, 1), "A100", 1.0)
    with pytest.raises(ValueError, match="not a warehouse table"):
        wh.append_frame(con, "mart_runs", frame)
    with pytest.raises(duckdb.Error):  # value is NOT NULL
        wh.write_forecast(con, "r2", frame.drop("value"))


def test_run_rows_record_status_fingerprint_and_row_count(con) -> None:
    wh.start_run(con, "r1", RunConfig(scenarios=("base", "seed-2023"), seed=7, draws=0))
    wh.stage_inputs(con, "r1", "base", _inputs())
    add_rows = [leaf(date(2023, m, 1), "f", "training", "A100", "units_shipped", m)
                for m in (1, 2, 3)]
    wh.write_forecast(con, "r1", pl.DataFrame(add_rows))
    status = con.execute("SELECT status, finished_at FROM runs").fetchone()
    assert status == ("running", None)
    wh.finish_run(con, "r1", "published")
    row = con.execute(
        "SELECT status, scenarios, seed, forecast_rows, input_hash, finished_at >= started_at, "
        "json_extract_string(config, '$.scenarios[1]') FROM runs").fetchone()
    assert row[:4] == ("published", ["base", "seed-2023"], 7, 3)
    assert len(row[4]) == 64 and row[5] is True and row[6] == "seed-2023"
    with pytest.raises(duckdb.Error):  # status is constrained
        wh.finish_run(con, "r1", "done")


BASE_ROWS = [
    leaf(date(2022, 12, 1), "f1", "training", "A100-80GB-SXM", "units_shipped", 5),  # before 2023
    leaf(date(2023, 1, 1), "f1", "training", "A100-80GB-SXM", "units_shipped", 10),
    leaf(date(2025, 12, 1), "f2", "inference", "A800-80GB-SXM", "units_shipped", 7),
    leaf(date(2026, 1, 1), "f2", "inference", "A800-80GB-SXM", "units_shipped", 100),  # after 2025
    leaf(date(2024, 1, 1), "f1", "training", "H20", "units_shipped", 1000),  # not A100/A800
    leaf(date(2024, 6, 1), "f1", "training", "X-ALT", "units_shipped", 3),  # A800 per stg_chips
    leaf(date(2022, 6, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents", 50),  # < 2023
    leaf(date(2023, 1, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents", 2),
    leaf(date(2030, 12, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents", 3),
    leaf(date(2030, 12, 1), "f2", "inference", "other", "a100_equivalents", 4),
    leaf(date(2022, 6, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents_shipped", 60),
    leaf(date(2023, 1, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents_shipped", 2),
    leaf(date(2030, 12, 1), "f1", "training", "A100-80GB-SXM", "a100_equivalents_shipped", 3),
    leaf(date(2030, 12, 1), "f2", "inference", "other", "a100_equivalents_shipped", 4),
    leaf(date(2023, 1, 1), "f1", "training", "A100-80GB-SXM", "units_installed", 10),
    leaf(date(2023, 1, 1), "f2", "inference", "A800-80GB-SXM", "units_installed", 20),
    leaf(date(2024, 1, 1), "f1", "training", "H20", "units_installed", 25),
    leaf(date(2025, 1, 1), "f1", "training", "A100-80GB-SXM", "units_installed", 10),
    leaf(date(2025, 1, 1), "f2", "inference", "A800-80GB-SXM", "units_installed", 30),
    leaf(date(2022, 12, 1), "f1", "training", "A100-80GB-SXM", "capex_usd", 1e6),
    leaf(date(2029, 1, 1), "f2", "inference", "A800-80GB-SXM", "capex_usd", 2e6),
]


def _headlines(scenario: str, scale: float, stat: str = "deterministic",
               quantile: float | None = None) -> pl.DataFrame:
    rows = [dict(scenario=scenario, headline=name, stat=stat, quantile=quantile,
                 month=date(2025, 1, 1) if name.startswith("peak") else date(2030, 12, 1),
                 value=scale * (i + 1), unit=h.unit)
            for i, (name, h) in enumerate(HEADLINES.items())]
    return pl.DataFrame(rows, schema_overrides={"quantile": pl.Float64})


def _bands(shift: float, key: dict | None = None, calibration: str | None = None
           ) -> pl.DataFrame:
    """Monte Carlo rows of one series (a base leaf unless `key` says otherwise): quantiles
    1, 2, 5, 8, 9 and mean 5.5, all + shift."""
    key = key or dict(scenario="base", month=date(2023, 1, 1), firm="f1", workload="training",
                      sku="A100-80GB-SXM", metric="units_shipped", unit="units/month")
    rows = [dict(key, stat="quantile", quantile=q, value=v + shift)
            for q, v in ((0.05, 1), (0.1, 2), (0.5, 5), (0.9, 8), (0.95, 9))]
    rows.append(dict(key, stat="mean", quantile=None, value=5.5 + shift))
    frame = pl.DataFrame(rows)
    return frame if calibration is None else frame.with_columns(calibration=pl.lit(calibration))


OLD, MID, SEED, JUNK = ("20240101T000000000Z-aaaaaa", "20240201T000000000Z-bbbbbb",
                        "20240301T000000000Z-cccccc", "20240401T000000000Z-dddddd")


@pytest.fixture
def marts(con) -> duckdb.DuckDBPyConnection:
    old = [dict(r, value=r["value"] * 1000) for r in BASE_ROWS]
    add_run(con, OLD, ("base",), old, headlines=_headlines("base", 1000),
            quantiles=_bands(100.0))  # older published run
    heads = pl.concat([_headlines("base", 1), _headlines("base", 7, stat="mean"),
                       _headlines("base", 6, stat="quantile", quantile=0.5)])
    add_run(con, MID, ("base",), BASE_ROWS, headlines=heads, quantiles=_bands(0.0))
    stg = pl.DataFrame({"sku": ["X-ALT"], "family": ["A800"]})
    wh.append_frame(con, "stg_chips", stg, {"run_id": MID, "scenario": "base"})
    seed = [leaf(date(2023, 1, 1), f, "training", "A100-40GB-SXM", "units_shipped", 1,
                 scenario="seed-2023") for f in ("f1", "f2", "f3")]
    add_run(con, SEED, ("seed-2023",), seed)
    # A newer run that has not been published: the marts must ignore it.
    junk = [dict(r, value=-1.0) for r in BASE_ROWS]
    add_run(con, JUNK, ("base",), junk, status="running", headlines=_headlines("base", -1),
            quantiles=_bands(-50.0))
    wh.create_marts(con)
    return con


def test_demand_monthly_selects_the_latest_published_run_per_scenario(marts) -> None:
    got = marts.execute(
        "SELECT scenario, run_id, count(*), sum(value) FROM mart_demand_monthly "
        "GROUP BY ALL ORDER BY scenario").fetchall()
    assert got == [
        ("base", "20240201T000000000Z-bbbbbb", len(BASE_ROWS), sum(r["value"] for r in BASE_ROWS)),
        ("seed-2023", "20240301T000000000Z-cccccc", 3, 3.0),
    ]


def test_views_follow_new_runs_without_being_recreated(marts) -> None:
    newer = [leaf(date(2023, 1, 1), "f9", "training", "A100-80GB-SXM", "units_shipped", 42)]
    add_run(marts, "20240501T000000000Z-eeeeee", ("base",), newer)
    got = marts.execute(
        "SELECT run_id, firm, value FROM mart_demand_monthly WHERE scenario = 'base'").fetchall()
    assert got == [("20240501T000000000Z-eeeeee", "f9", 42.0)]
    latest = marts.execute("SELECT run_id FROM mart_runs WHERE is_latest").fetchall()
    assert latest == [("20240501T000000000Z-eeeeee",)]


def test_scenario_comparison_pivots_the_latest_published_headlines(marts) -> None:
    rows = {r["scenario"]: r for r in wh.scenario_comparison(marts)}
    assert set(rows) == {"base"}  # seed-2023's run wrote no headlines: not shown at all
    base = rows["base"]
    assert base["run_id"] == MID  # not the older run (x1000), nor the unpublished one (-1)
    assert [base[name] for name in HEADLINES] == [float(i + 1) for i in range(len(HEADLINES))]
    assert base["peak_month"] == date(2025, 1, 1)
    assert (base["first_month"], base["last_month"]) == (date(2022, 6, 1), date(2030, 12, 1))


def test_demand_total_sums_over_firms(marts) -> None:
    got = marts.execute(
        "SELECT value, firms FROM mart_demand_total WHERE scenario = 'seed-2023'").fetchall()
    assert got == [(3.0, 3)]
    got = marts.execute(
        "SELECT value FROM mart_demand_total WHERE scenario = 'base' AND month = '2025-01-01' "
        "AND metric = 'units_installed' ORDER BY value").fetchall()
    assert got == [(10.0,), (30.0,)]  # one row per workload x sku, firms summed


def test_bands_pivot_quantiles_of_the_latest_run(marts) -> None:
    got = marts.execute(
        "SELECT run_id, p05, p10, p50, p90, p95, mean, point, deterministic FROM mart_bands"
    ).fetchall()
    assert got == [(MID, 1.0, 2.0, 5.0, 8.0, 9.0, 5.5, 5.0, 10.0)]  # the leaf's value is 10


def _checks(run_id: str, scenario: str, success: bool) -> pl.DataFrame:
    return pl.DataFrame({
        "run_id": [run_id] * 2, "scenario": [scenario] * 2,
        "suite": ["usage.coverage", "forecast"], "position": [0, 0],
        "expectation": ["expect_x"] * 2, "column": [None, "value"],
        "message": ["every firm has usage rows", "no negative value"],
        "success": [True, success], "unexpected_count": [0, 0 if success else 3],
        "sample": [None, None if success else "-1.0"],
    })


def test_validation_mart_names_scenario_and_table_and_marks_latest(con) -> None:
    for run_id, scenario, ok, status in ((OLD, "base", True, "published"),
                                         (MID, "seed-2023", True, "published"),
                                         (SEED, "base", True, "published"),
                                         (JUNK, "base", False, "running")):
        wh.start_run(con, run_id, RunConfig(scenarios=(scenario,)))
        wh.write_validation(con, _checks(run_id, scenario, ok))
        if status == "published":
            wh.finish_run(con, run_id, status)
    wh.create_marts(con)
    got = con.execute(
        "SELECT run_id, scenario, table_name, suite, success, is_latest_run "
        "FROM mart_validation WHERE suite = 'usage.coverage'").fetchall()
    # newest run first; the coverage suite of two scenarios is two distinguishable rows
    assert got == [(SEED, "base", "usage", "usage.coverage", True, True),
                   (MID, "seed-2023", "usage", "usage.coverage", True, True),
                   (OLD, "base", "usage", "usage.coverage", True, False)]
    assert con.execute("SELECT count(*) FROM mart_validation WHERE run_id = ?",
                       [JUNK]).fetchone() == (0,)  # never published


def test_export_parquet_writes_this_runs_rows(marts, tmp_path: Path) -> None:
    files = wh.export_parquet(marts, MID, tmp_path / "x")
    assert {f.stem for f in files} == set(wh.export_names())
    forecast = pl.read_parquet(tmp_path / "x" / "forecast.parquet")
    assert forecast.height == len(BASE_ROWS)
    assert forecast["run_id"].unique().to_list() == [MID]
    comparison = pl.read_parquet(tmp_path / "x" / "mart_scenario_comparison.parquet")
    assert comparison["scenario"].to_list() == ["base"]
