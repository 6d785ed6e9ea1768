"""Warehouse schema, staging and marts on small synthetic frames (no Prefect)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.config import RunConfig
from chipcast.contracts import HEADLINES, QUANTILES, TABLES
from chipcast.contracts.marts import MARTS
from chipcast.inputs import InputFile, Inputs, ScenarioSettings
from chipcast.inputs.types import schema
from chipcast.project import SQL_DIR
from chipcast.report.data import EXPORTED_VIEWS
from chipcast.store import warehouse as wh

UNITS = {"units_shipped": "units/month", "units_installed": "units",
         "a100_equivalents": "A100-eq", "a100_equivalents_shipped": "A100-eq/month",
         "capex_usd": "USD/month", "a100_equivalents_required": "A100-eq"}


def row(month: date, firm: str, workload: str, sku: str, vendor: str, metric: str,
        value: float, scenario: str = "base") -> dict:
    """One forecast row (sql/schema/forecast.sql without run_id)."""
    return dict(month=month, scenario=scenario, firm=firm, workload=workload, sku=sku,
                vendor=vendor, metric=metric, value=float(value), unit=UNITS[metric])


def market(month: date, scale: float = 1.0, scenario: str = "base") -> list[dict]:
    """One month of a small market in the forecast's published grain (chipcast.model.series),
    totals written by hand: buyers f1 (training 10) and f2 (inference 20) with their totals;
    units shipped per buyer (6, 4; sku/vendor 'all'), per SKU (firm 'all': A100 7 of NVIDIA,
    Ascend 3 of Huawei), per vendor (sku 'all') and the market total 10."""
    def r(firm: str, workload: str, sku: str, vendor: str, metric: str, value: float) -> dict:
        return row(month, firm, workload, sku, vendor, metric, value * scale, scenario)

    need = "a100_equivalents_required"
    return [
        r("f1", "training", "all", "all", need, 10), r("f2", "inference", "all", "all", need, 20),
        r("all", "training", "all", "all", need, 10), r("all", "inference", "all", "all", need, 20),
        r("all", "all", "all", "all", need, 30),
        r("f1", "all", "all", "all", "units_shipped", 6),
        r("f2", "all", "all", "all", "units_shipped", 4),
        r("all", "all", "A100-80GB-SXM", "NVIDIA", "units_shipped", 7),
        r("all", "all", "Ascend-910", "Huawei", "units_shipped", 3),
        r("all", "all", "all", "NVIDIA", "units_shipped", 7),
        r("all", "all", "all", "Huawei", "units_shipped", 3),
        r("all", "all", "all", "all", "units_shipped", 10),
    ]


def add_run(con: duckdb.DuckDBPyConnection, run_id: str, scenarios: tuple[str, ...],
            rows: list[dict], status: str = "published", headlines: pl.DataFrame | None = None,
            quantiles: pl.DataFrame | None = None, validation: pl.DataFrame | None = None
            ) -> None:
    """A run as the pipeline writes it: every row before it is closed (a published run is
    never modified; the views read what it wrote when it was published)."""
    wh.start_run(con, run_id, RunConfig(scenarios=scenarios))
    wh.write_forecast(con, run_id, pl.DataFrame(rows))
    if headlines is not None:
        wh.write_headlines(con, run_id, headlines)
    if quantiles is not None:
        wh.write_quantiles(con, run_id, quantiles)
    if validation is not None:
        wh.write_validation(con, validation)
    if status != "running":
        wh.finish_run(con, run_id, status)


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
        elif name.startswith("report/"):  # {view}: the view or its exported frame
            for view in EXPORTED_VIEWS:
                text = text.replace(f"{{{view}}}", view)
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
         "export_control": ["us"], "source": ["nvidia datasheet"], "_file": ["chips.csv"],
         "_row": [1]},
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
    got = con.execute("SELECT run_id, scenario, sku, aliases, launch_date, export_control, _row "
                      "FROM stg_chips").fetchone()
    assert got == ("r1", "base", "A100-80GB-SXM", ["A100", "a100-80"], date(2020, 11, 16),
                   "us", 1)
    files = con.execute("SELECT path, sha256, rows FROM input_files ORDER BY path").fetchall()
    assert files == [("chips.csv", "ab" * 32, 1), ("fleet.csv", "cd" * 32, 1)]


def test_append_frame_matches_by_name_and_refuses_unknown_tables(con) -> None:
    frame = pl.DataFrame([row(date(2023, 1, 1), "all", "all", "A100", "NVIDIA", "units_shipped",
                              1)])
    frame = frame.select(list(reversed(frame.columns))).with_columns(pl.lit(1).alias("extra"))
    assert wh.write_forecast(con, "r1", frame) == 1
    got = con.execute("SELECT run_id, month, sku, vendor, value FROM forecast").fetchone()
    assert got == ("r1", date(2023, 1, 1), "A100", "NVIDIA", 1.0)
    with pytest.raises(ValueError, match="not a warehouse table"):
        wh.append_frame(con, "mart_runs", frame)
    for column in ("value", "vendor"):  # NOT NULL: a frame without it fails loudly
        with pytest.raises(duckdb.Error, match=rf'forecast\."?{column}"?'):
            wh.write_forecast(con, "r2", frame.drop(column))


def test_run_rows_record_status_fingerprint_and_row_count(con) -> None:
    wh.start_run(con, "r1", RunConfig(scenarios=("base", "seed-2023"), seed=7, draws=0))
    wh.stage_inputs(con, "r1", "base", _inputs())
    add_rows = [row(date(2023, m, 1), "all", "all", "A100", "NVIDIA", "units_shipped", m)
                for m in (1, 2, 3)]
    wh.write_forecast(con, "r1", pl.DataFrame(add_rows))
    status = con.execute("SELECT status, finished_at FROM runs").fetchone()
    assert status == ("running", None)
    wh.finish_run(con, "r1", "published")
    run = con.execute(
        "SELECT status, scenarios, seed, forecast_rows, input_hash, finished_at >= started_at, "
        "json_extract_string(config, '$.scenarios[1]') FROM runs").fetchone()
    assert run[:4] == ("published", ["base", "seed-2023"], 7, 3)
    assert len(run[4]) == 64 and run[5] is True and run[6] == "seed-2023"
    with pytest.raises(duckdb.Error):  # status is constrained
        wh.finish_run(con, "r1", "done")


MONTHS = (date(2022, 6, 1), date(2023, 1, 1), date(2030, 12, 1))
BASE_ROWS = [r for i, m in enumerate(MONTHS) for r in market(m, scale=i + 1)]
SEED_ROWS = [row(date(2023, 1, 1), f, "all", "all", "all", "units_shipped", 1,
                 scenario="seed-2023") for f in ("f1", "f2", "f3")] + [
    row(date(2023, 1, 1), "all", "all", "all", "all", "units_shipped", 3, scenario="seed-2023")]


def _headlines(scenario: str, scale: float, stat: str = "deterministic",
               quantile: float | None = None, calibration: str = "prior") -> pl.DataFrame:
    """One headlines row per registry headline: value scale x (its position + 1)."""
    rows = [dict(scenario=scenario, headline=name, stat=stat, quantile=quantile,
                 month=date(2025, 1, 1) if name.startswith("peak") else date(2030, 12, 1),
                 value=scale * (i + 1), unit=h.unit, calibration=calibration)
            for i, (name, h) in enumerate(HEADLINES.items())]
    return pl.DataFrame(rows, schema_overrides={"quantile": pl.Float64})


OLD, MID, SEED, JUNK = ("20240101T000000000Z-aaaaaa", "20240201T000000000Z-bbbbbb",
                        "20240301T000000000Z-cccccc", "20240401T000000000Z-dddddd")


@pytest.fixture
def marts(con) -> duckdb.DuckDBPyConnection:
    old = [dict(r, value=r["value"] * 1000) for r in BASE_ROWS]
    add_run(con, OLD, ("base",), old, headlines=_headlines("base", 1000))  # older, published
    add_run(con, MID, ("base",), BASE_ROWS, headlines=pl.concat([
        _headlines("base", 1), _headlines("base", 7, stat="mean")]))  # a mean is not the point
    add_run(con, SEED, ("seed-2023",), SEED_ROWS, headlines=_headlines("seed-2023", 2))
    # A newer run that has not been published: the marts must ignore it.
    junk = [dict(r, value=-1.0) for r in BASE_ROWS]
    add_run(con, JUNK, ("base",), junk, status="running", headlines=_headlines("base", -1))
    wh.create_marts(con)
    return con


def test_demand_monthly_selects_the_latest_published_run_per_scenario(marts) -> None:
    got = marts.execute(
        "SELECT scenario, run_id, count(*), sum(value) FROM mart_demand_monthly "
        "GROUP BY ALL ORDER BY scenario").fetchall()
    assert got == [
        ("base", "20240201T000000000Z-bbbbbb", len(BASE_ROWS), sum(r["value"] for r in BASE_ROWS)),
        ("seed-2023", "20240301T000000000Z-cccccc", len(SEED_ROWS), 6.0),
    ]


def test_views_follow_new_runs_without_being_recreated(marts) -> None:
    newer = [row(date(2023, 1, 1), "f9", "all", "all", "all", "units_shipped", 42)]
    add_run(marts, "20240501T000000000Z-eeeeee", ("base",), newer)
    got = marts.execute(
        "SELECT run_id, firm, value FROM mart_demand_monthly WHERE scenario = 'base'").fetchall()
    assert got == [("20240501T000000000Z-eeeeee", "f9", 42.0)]
    latest = marts.execute("SELECT run_id FROM mart_runs WHERE is_latest").fetchall()
    assert latest == [("20240501T000000000Z-eeeeee",)]


def test_scenario_comparison_pivots_the_latest_published_headlines(marts) -> None:
    rows = {r["scenario"]: r for r in wh.scenario_comparison(marts)}
    base = rows["base"]
    assert base["run_id"] == MID  # not the older run (x1000) nor the unpublished one (-1)
    assert base["point_basis"] == "deterministic"  # no quantile rows in this run
    assert [base[name] for name in HEADLINES] == [float(i + 1) for i in range(len(HEADLINES))]
    assert base["peak_month"] == date(2025, 1, 1)
    assert (base["first_month"], base["last_month"]) == (min(MONTHS), max(MONTHS))
    assert [rows["seed-2023"][name] for name in HEADLINES] == [
        2.0 * (i + 1) for i in range(len(HEADLINES))]


def test_a_run_without_headlines_is_not_in_the_comparison(con) -> None:
    add_run(con, OLD, ("base",), BASE_ROWS)  # published without headline rows
    wh.create_marts(con)
    assert wh.scenario_comparison(con) == []


# Monte Carlo headline rows: value = deterministic x (offset + level) per calibration, so each
# (calibration, quantile) pair gives other numbers; means are offset + 0.75.
MC_OFFSET = {"prior": 10.0, "posterior": 20.0}


def _monte_carlo_headlines(scenario: str, calibration: str) -> pl.DataFrame:
    offset = MC_OFFSET[calibration]
    frames = [_headlines(scenario, offset + q, "quantile", q, calibration) for q in QUANTILES]
    frames.append(_headlines(scenario, offset + 0.75, "mean", None, calibration))
    return pl.concat(frames)


def test_scenario_comparison_point_is_the_posterior_then_prior_median_then_deterministic(
        con) -> None:
    """`cal` was calibrated (prior and posterior rows), `mc` has prior draws only (an older
    run of it was calibrated), `det` has no draws: the point is the posterior P50, the prior
    P50 and the deterministic value; <headline>_deterministic is always the deterministic."""
    old, new = "20240101T000000000Z-aaaaaa", "20240201T000000000Z-bbbbbb"
    add_run(con, old, ("mc",), market(date(2024, 1, 1), scenario="mc"),
            headlines=pl.concat([_headlines("mc", 5.0), _monte_carlo_headlines("mc", "prior"),
                                 _monte_carlo_headlines("mc", "posterior")]))
    scenarios = ("cal", "det", "mc")
    add_run(con, new, scenarios, [r for s in scenarios for r in market(date(2024, 1, 1),
                                                                       scenario=s)],
            headlines=pl.concat([*(_headlines(s, 1.0) for s in scenarios),
                                 _monte_carlo_headlines("cal", "prior"),
                                 _monte_carlo_headlines("cal", "posterior"),
                                 _monte_carlo_headlines("mc", "prior")]))
    wh.create_marts(con)
    rows = {r["scenario"]: r for r in wh.scenario_comparison(con)}
    assert set(rows) == set(scenarios) and {r["run_id"] for r in rows.values()} == {new}
    expected = {"cal": ("posterior p50", MC_OFFSET["posterior"] + 0.5),
                "mc": ("prior p50", MC_OFFSET["prior"] + 0.5),
                "det": ("prior deterministic", 1.0)}
    for scenario, (basis, scale) in expected.items():
        got = rows[scenario]
        assert f"{got['calibration']} {got['point_basis']}" == basis, scenario
        for i, name in enumerate(HEADLINES):
            assert got[name] == pytest.approx(scale * (i + 1)), (scenario, name)
            assert got[f"{name}_deterministic"] == pytest.approx(i + 1), (scenario, name)
        assert got["peak_month"] == date(2025, 1, 1)


def test_demand_total_is_the_market_over_all_buyers(marts) -> None:
    """The model's totals over buyers (firm 'all'), each once: per workload, per SKU, per
    vendor and in total, with the number of buyers."""
    month = MONTHS[1]
    got = marts.execute(
        "SELECT workload, sku, vendor, metric, value, buyers FROM mart_demand_total "
        "WHERE scenario = 'base' AND month = ? ORDER BY ALL", [month]).fetchall()
    buyers = {r["firm"] for r in BASE_ROWS if r["firm"] != "all"}
    expected = sorted((r["workload"], r["sku"], r["vendor"], r["metric"], r["value"],
                       len(buyers)) for r in BASE_ROWS
                      if r["month"] == month and r["firm"] == "all")
    assert got == expected and len(buyers) == 2

    def total(**where: str) -> float:
        return sum(r["value"] for r in BASE_ROWS if r["month"] == month
                   and r["metric"] == "units_shipped"
                   and all(r[k] == v if v != "*" else r[k] != "all" for k, v in where.items()))

    market_total = marts.execute(
        "SELECT value FROM mart_demand_total WHERE scenario = 'base' AND month = ? AND "
        "metric = 'units_shipped' AND sku = 'all' AND vendor = 'all'", [month]).fetchall()
    # the same market three ways: summed over buyers, over SKUs and over vendors
    assert market_total == [(total(firm="*"),)] == [(total(firm="all", sku="*"),)] == [
        (total(firm="all", sku="all", vendor="*"),)]
    keys = marts.execute("SELECT count(*), count(DISTINCT (month, scenario, workload, sku, "
                         "vendor, metric)) FROM mart_demand_total").fetchone()
    assert keys[0] == keys[1] > 0
    seed = marts.execute("SELECT workload, sku, vendor, value, buyers FROM mart_demand_total "
                         "WHERE scenario = 'seed-2023'").fetchall()
    assert seed == [("all", "all", "all", 3.0, 3)]


def test_demand_monthly_keeps_vendor_rows_apart_from_the_total(marts) -> None:
    month = MONTHS[1]
    got = dict(marts.execute(
        "SELECT vendor, value FROM mart_demand_monthly WHERE scenario = 'base' AND month = ? "
        "AND metric = 'units_shipped' AND firm = 'all' AND sku = 'all'", [month]).fetchall())
    expected = {r["vendor"]: r["value"] for r in BASE_ROWS if r["month"] == month
                and r["metric"] == "units_shipped" and r["firm"] == "all" and r["sku"] == "all"}
    assert got == expected and set(got) == {"NVIDIA", "Huawei", "all"}
    keys = marts.execute("SELECT count(*), count(DISTINCT (month, scenario, firm, workload, "
                         "sku, vendor, metric)) FROM mart_demand_monthly").fetchone()
    assert keys[0] == keys[1] == len(BASE_ROWS) + len(SEED_ROWS)


LEVELS = ((0.05, 1.0), (0.1, 2.0), (0.5, 5.0), (0.9, 8.0), (0.95, 9.0))


def _bands(sku: str, vendor: str, shift: float, calibration: str = "prior",
           scenario: str = "base") -> pl.DataFrame:
    """One series' quantile rows (LEVELS + shift) and its mean (5.5 + shift)."""
    rows = [dict(scenario=scenario, month=date(2023, 1, 1), firm="all", workload="all",
                 sku=sku, vendor=vendor, metric="units_shipped", stat="quantile", quantile=q,
                 value=v + shift, unit="units/month", calibration=calibration)
            for q, v in LEVELS]
    rows.append(dict(rows[0], stat="mean", quantile=None, value=5.5 + shift))
    return pl.DataFrame(rows)


def _band_values(shift: float) -> tuple[float, ...]:
    return (*(v + shift for _, v in LEVELS), 5.5 + shift)


def test_bands_pivot_quantiles_of_the_latest_run(con) -> None:
    a100 = ("A100-80GB-SXM", "NVIDIA")
    add_run(con, OLD, ("base",), BASE_ROWS, quantiles=_bands(*a100, 100.0))
    add_run(con, MID, ("base",), BASE_ROWS, quantiles=_bands(*a100, 0.0))
    add_run(con, JUNK, ("base",), BASE_ROWS, status="running", quantiles=_bands(*a100, -50.0))
    wh.create_marts(con)
    got = con.execute(
        "SELECT run_id, calibration, p05, p10, p50, p90, p95, mean FROM mart_bands").fetchall()
    assert got == [(MID, "prior", *_band_values(0.0))]


def test_bands_keep_calibrations_and_vendors_apart(con) -> None:
    series = {("A100-80GB-SXM", "NVIDIA"): 0.0, ("all", "NVIDIA"): 10.0, ("all", "all"): 30.0}
    add_run(con, MID, ("base",), BASE_ROWS, quantiles=pl.concat(
        [_bands(sku, vendor, shift) for (sku, vendor), shift in series.items()]
        + [_bands(sku, vendor, shift + 0.5, "posterior")
           for (sku, vendor), shift in series.items()]))
    # a scenario whose run was not calibrated has prior rows only
    add_run(con, SEED, ("seed-2023",), SEED_ROWS,
            quantiles=_bands("all", "all", 3.0, scenario="seed-2023"))
    wh.create_marts(con)
    got = con.execute("SELECT scenario, sku, vendor, calibration, p05, p10, p50, p90, p95, "
                      "mean FROM mart_bands ORDER BY ALL").fetchall()
    expected = sorted([("base", sku, vendor, cal, *_band_values(shift + (cal == "posterior")
                                                                 * 0.5))
                       for (sku, vendor), shift in series.items()
                       for cal in ("prior", "posterior")]
                      + [("seed-2023", "all", "all", "prior", *_band_values(3.0))])
    assert got == expected


BACKTEST = pl.DataFrame({
    "scenario": ["base", "base"], "calibration": ["prior", "posterior"],
    "id": ["cards-2023", "cards-2023"], "quantity": ["units_shipped"] * 2,
    "unit": ["units"] * 2, "value": [10_000.0] * 2, "low": [5_000.0] * 2,
    "high": [20_000.0] * 2, "p10": [6_000.0, 8_000.0], "p50": [9_000.0, 9_800.0],
    "p90": [15_000.0, 12_000.0], "inside": [True, True],
    "ratio": [10_000 / 9_000, 10_000 / 9_800], "published": [date(2024, 3, 1)] * 2,
    "fitted": [False, True], "fit_until": [None, date(2024, 12, 31)], "draws": [4096, 16384],
    "ess": [None, 812.5]},
    schema_overrides={"fit_until": pl.Date, "ess": pl.Float64})


def test_backtest_rows_round_trip(con) -> None:
    frame = BACKTEST.select(list(reversed(BACKTEST.columns))).with_columns(
        pl.lit("x").alias("helper"))  # column order and extra columns do not matter
    assert wh.write_backtest(con, "r1", frame) == 2
    columns = wh.table_columns(con, "backtest")
    assert columns == ["run_id", *BACKTEST.columns]
    got = con.sql("SELECT * FROM backtest ORDER BY fitted").pl()
    expected = BACKTEST.with_columns(pl.lit("r1").alias("run_id")).select(columns)
    assert got.to_dicts() == expected.to_dicts()
    with pytest.raises(duckdb.Error, match=r'backtest\."?p50"?'):  # NOT NULL
        wh.write_backtest(con, "r2", BACKTEST.drop("p50"))


def test_validation_mart_shows_published_runs_only(con) -> None:
    def checks(run_id: str, success: bool) -> pl.DataFrame:
        return pl.DataFrame({
            "run_id": [run_id], "scenario": ["base"], "suite": ["forecast"],
            "expectation": ["not_negative"], "column": ["value"], "success": [success],
            "unexpected_count": [0 if success else 3], "sample": [None if success else "-1.0"]})

    add_run(con, OLD, ("base",), BASE_ROWS, validation=checks(OLD, True))
    add_run(con, MID, ("base",), BASE_ROWS, validation=checks(MID, True))
    add_run(con, JUNK, ("base",), BASE_ROWS, status="running", validation=checks(JUNK, False))
    wh.create_marts(con)
    got = con.execute("SELECT run_id, success, is_latest_run FROM mart_validation "
                      "ORDER BY run_id").fetchall()
    assert got == [(OLD, True, False), (MID, True, True)]  # never the unpublished run


def test_export_parquet_writes_this_runs_rows(marts, tmp_path: Path) -> None:
    files = wh.export_parquet(marts, "20240201T000000000Z-bbbbbb", tmp_path / "x")
    assert {f.stem for f in files} == set(wh.export_names())
    forecast = pl.read_parquet(tmp_path / "x" / "forecast.parquet")
    assert forecast.height == len(BASE_ROWS)
    assert forecast["run_id"].unique().to_list() == ["20240201T000000000Z-bbbbbb"]
    comparison = pl.read_parquet(tmp_path / "x" / "mart_scenario_comparison.parquet")
    assert comparison["scenario"].to_list() == ["base", "seed-2023"]


def _python_order(frame: pl.DataFrame, keys: tuple[str, ...]) -> list[dict]:
    """The rows sorted by plain Python (independent of polars and DuckDB): by each key in
    turn, strings by code point (= UTF-8 byte order), None after every value."""
    return sorted(frame.to_dicts(), key=lambda r: tuple((r[k] is None, r[k] if r[k] is not None
                                                         else 0) for k in keys))


def test_export_order_is_each_large_exports_grain_and_replaces_its_order_by() -> None:
    names = set(wh.export_names())
    assert set(wh.EXPORT_ORDER) <= names
    for name in names:
        text = "\n".join(line for line in (SQL_DIR / "exports" / f"{name}.sql").read_text(
            encoding="utf-8").splitlines() if not line.startswith("--"))
        # sorted once: in polars (EXPORT_ORDER) or by the query, never both
        assert ("ORDER BY" in text) == (name not in wh.EXPORT_ORDER), name
    for view in ("mart_bands", "mart_demand_monthly", "mart_demand_total", "mart_forecast"):
        # the same keys the view sorts by (its grain), so the file keeps the view's order
        declared = tuple(k.strip().strip('"') for k in MARTS[view].order_by.split(","))
        assert wh.EXPORT_ORDER[view] == declared, view


def test_exports_sorted_in_polars_have_the_order_of_their_grain(con, tmp_path: Path) -> None:
    # Rows written out of order, with keys where byte order and case-blind or locale order
    # differ ('Zeta' < 'alpha' < 'ä'), a NULL quantile (the mean) and two calibrations.
    rows = []
    for scenario in ("bear", "Base", "base"):
        for calibration in ("prior", "posterior"):
            for firm in ("alpha", "Zeta", "ä", "all"):
                for stat, q in (("quantile", 0.9), ("mean", None), ("quantile", 0.1)):
                    for month in (date(2024, 2, 1), date(2023, 12, 1)):
                        rows.append(dict(scenario=scenario, month=month, firm=firm,
                                         workload="all", sku="all", vendor="all",
                                         metric="units_shipped", stat=stat, quantile=q,
                                         value=float(len(rows)), unit="units/month",
                                         calibration=calibration))
    shuffled = pl.DataFrame(rows, schema_overrides={"quantile": pl.Float64}).sample(
        fraction=1.0, shuffle=True, seed=7)
    wh.write_quantiles(con, MID, shuffled)
    wh.write_quantiles(con, OLD, shuffled.head(5))  # another run's rows stay out
    keys = wh.EXPORT_ORDER["forecast_quantiles"]
    got = wh.export_frame(con, MID, "forecast_quantiles")
    assert got.height == len(rows)
    assert got.to_dicts() == _python_order(got, keys)
    assert got.select(keys).is_duplicated().sum() == 0  # the keys are the rows' grain
    wh.create_marts(con)
    wh.export_parquet(con, MID, tmp_path)
    assert pl.read_parquet(tmp_path / "forecast_quantiles.parquet").equals(got)


def test_every_export_sorted_in_polars_is_in_its_grains_order(marts) -> None:
    for name, keys in wh.EXPORT_ORDER.items():
        got = wh.export_frame(marts, MID, name)
        assert got.to_dicts() == _python_order(got, keys), name
        assert got.select(keys).is_duplicated().sum() == 0, name
