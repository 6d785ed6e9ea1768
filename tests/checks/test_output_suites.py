"""Output suites (forecast, forecast_quantiles) and the CheckReport API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from chipcast.checks import validate_forecast, validate_quantiles
from chipcast.errors import CheckFailed

UNITS = {"a100_equivalents_required": "A100-eq", "units_shipped": "units/month"}


def _forecast(months: int = 4) -> pl.DataFrame:
    rows = []
    for m in range(months):
        month = date(2024, 1 + m, 1)
        for firm in ("baidu", "alibaba"):
            rows.append((month, "base", firm, "training", "all", "a100_equivalents_required",
                         100.0 * (m + 1), "A100-eq"))
            rows.append((month, "base", firm, "training", "A800-80GB-SXM", "units_shipped",
                         10.0, "units/month"))
    return pl.DataFrame(rows, orient="row", schema={
        "month": pl.Date, "scenario": pl.Utf8, "firm": pl.Utf8, "workload": pl.Utf8,
        "sku": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64, "unit": pl.Utf8})


def _quantiles(months: int = 3) -> pl.DataFrame:
    rows = []
    levels = [(None, "mean", 50.0), (0.05, "quantile", 10.0), (0.1, "quantile", 20.0),
              (0.5, "quantile", 45.0), (0.9, "quantile", 80.0), (0.95, "quantile", 90.0)]
    for m in range(months):
        for q, stat, v in levels:
            rows.append(("r1", "base", date(2024, 1 + m, 1), "baidu", "inference", "all",
                         "a100_equivalents_required", stat, q, v, "A100-eq"))
    return pl.DataFrame(rows, orient="row", schema={
        "run_id": pl.Utf8, "scenario": pl.Utf8, "month": pl.Date, "firm": pl.Utf8,
        "workload": pl.Utf8, "sku": pl.Utf8, "metric": pl.Utf8, "stat": pl.Utf8,
        "quantile": pl.Float64, "value": pl.Float64, "unit": pl.Utf8})


def test_valid_forecast_passes_and_report_api(tmp_path: Path) -> None:
    report = validate_forecast(_forecast())
    assert report.success, [str(p) for p in report.problems()]
    report.raise_for_failure()
    frame = report.results_frame("run-1", "base")
    assert frame.columns == ["run_id", "scenario", "table_name", "suite", "position", "message",
                             "expectation", "column", "success", "unexpected_count", "sample",
                             "checked_at"]
    assert frame.height > 10 and frame["success"].all() and (frame["run_id"] == "run-1").all()
    assert (frame["scenario"] == "base").all() and set(frame["table_name"]) == {"forecast"}
    # positions number each suite's expectations 0, 1, ... and every rule says what it checks
    for _, group in frame.group_by("suite"):
        assert sorted(group["position"].to_list()) == list(range(group.height))
    assert frame["message"].str.len_chars().min() > 0
    path = report.write_json(tmp_path / "v" / "forecast.json")
    doc = json.loads(path.read_text())
    assert doc["success"] is True and "forecast" in doc["suites"]


@pytest.mark.parametrize("corrupt, fragment", [
    (lambda df: df.with_columns(pl.when(pl.col("firm") == "baidu").then(-1.0)
                                .otherwise(pl.col("value")).alias("value")), "negative"),
    (lambda df: pl.concat([df, df.head(1)]), "more than one row per key"),
    (lambda df: df.filter(pl.col("month") != date(2024, 2, 1)), "missing months"),
    (lambda df: df.with_columns(pl.lit("units").alias("unit")), "wrong unit"),
    (lambda df: df.with_columns(pl.lit("serving").alias("workload")), "unknown workload"),
    (lambda df: pl.concat([df, df.filter(pl.col("firm") == "baidu").with_columns(
        pl.lit("all").alias("firm"), pl.col("value") * 3)]), "sum of its parts"),
])
def test_bad_forecast_fails(corrupt, fragment: str) -> None:
    report = validate_forecast(corrupt(_forecast()))
    assert not report.success
    text = "\n".join(str(p) for p in report.problems())
    assert fragment in text and "forecast" in text
    assert any(p.row is not None for p in report.problems()) or "months" in fragment
    with pytest.raises(CheckFailed):
        report.raise_for_failure()
    failed = report.results_frame("r").filter(~pl.col("success"))
    assert failed.height >= 1 and (failed["unexpected_count"] >= 0).all()


def test_valid_quantiles_pass() -> None:
    report = validate_quantiles(_quantiles())
    assert report.success, [str(p) for p in report.problems()]


def test_unordered_quantiles_fail_with_row() -> None:
    df = _quantiles().with_columns(
        pl.when((pl.col("quantile") == 0.9) & (pl.col("month") == date(2024, 2, 1)))
        .then(5.0).otherwise(pl.col("value")).alias("value"))
    problems = validate_quantiles(df).problems()
    text = "\n".join(str(p) for p in problems)
    assert "out of order" in text
    bad = [p for p in problems if "out of order" in p.message]
    assert bad and bad[0].row is not None and bad[0].row > 6  # a row of the second month


def test_mean_with_quantile_and_unknown_level_fail() -> None:
    df = _quantiles().with_columns(
        pl.when(pl.col("stat") == "mean").then(0.5).when(pl.col("quantile") == 0.95).then(0.99)
        .otherwise(pl.col("quantile")).alias("quantile"))
    text = "\n".join(str(p) for p in validate_quantiles(df).problems())
    assert "mean row has a quantile" in text and "unexpected quantile level" in text


def test_quantile_totals_over_firms() -> None:
    df = _quantiles()
    other = df.with_columns(pl.lit("alibaba").alias("firm"))
    total = df.with_columns(pl.lit("all").alias("firm"), pl.col("value") * 2)
    ok = pl.concat([df, other, total])
    assert validate_quantiles(ok).success
    wrong = pl.concat([df, other, total.with_columns(pl.col("value") * 1.5)])
    text = "\n".join(str(p) for p in validate_quantiles(wrong).problems())
    assert "differs from the sum of its parts" in text


def test_wrong_unit_names_row_and_expected_unit() -> None:
    """One unit == expected-unit rule covers every metric; the hint names the right unit."""
    df = _forecast().with_columns(
        pl.when((pl.col("metric") == "units_shipped") & (pl.col("firm") == "alibaba"))
        .then(pl.lit("units")).otherwise(pl.col("unit")).alias("unit"))
    problems = [p for p in validate_forecast(df).problems() if "wrong unit" in p.message]
    assert [p.row for p in problems] == [4, 8, 12, 16]
    assert all(p.values == ["units"] and "units/month" in p.hint for p in problems)


def test_quantile_row_without_level_and_unknown_stat() -> None:
    df = _quantiles().with_columns(
        pl.when(pl.col("quantile") == 0.5).then(None).otherwise(pl.col("quantile"))
        .alias("quantile"),
        pl.when((pl.col("stat") == "mean") & (pl.col("month") == date(2024, 3, 1)))
        .then(pl.lit("median")).otherwise(pl.col("stat")).alias("stat"))
    problems = validate_quantiles(df).problems()
    pairs = [p for p in problems if p.message == "stat and quantile do not match"]
    assert {p.row for p in pairs} == {4, 10, 13, 16}
    hints = {p.row: p.hint for p in pairs}
    assert "a quantile row has no quantile" in hints[4] and "unknown stat" in hints[13]
    assert any(p.message == "unknown stat" and p.row == 13 for p in problems)


@pytest.mark.parametrize("bad, fragment", [
    (float("inf"), "negative or infinite value"),
    (float("-inf"), "negative or infinite value"),
    (float("nan"), "value is empty or NaN"),
])
@pytest.mark.parametrize("table", ["forecast", "forecast_quantiles"])
def test_non_finite_values_fail_with_row(table: str, bad: float, fragment: str) -> None:
    """inf passes a lower bound alone and NaN passes any bound (pandas counts it missing)."""
    df, validate = ((_forecast(), validate_forecast) if table == "forecast"
                    else (_quantiles(), validate_quantiles))
    assert validate(df).success
    # the 3rd row only; a forecast_quantiles quantile row keeps its ordering (inf >= the rest)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(bad)
                         .otherwise(pl.col("value")).alias("value"))
    problems = [p for p in validate(df).problems() if fragment in p.message]
    assert [(p.file, p.row) for p in problems] == [(table, 3)], [str(p) for p in problems]
    assert problems[0].hint


def test_huge_finite_values_pass() -> None:
    df = _forecast().with_columns(pl.col("value") * 1e290)
    assert validate_forecast(df).success


def test_data_docs_index_and_pages_show_what_failed(tmp_path: Path) -> None:
    from chipcast.checks.docs import INDEX, build_data_docs, page_path

    folder = tmp_path / "validation" / "run-1"
    good = validate_forecast(_forecast()).write_json(folder / "forecast-base.json")
    bad_frame = _forecast().with_columns(
        pl.when(pl.col("firm") == "baidu").then(-1.0).otherwise(pl.col("value")).alias("value"))
    bad_report = validate_forecast(bad_frame)
    bad = bad_report.write_json(folder / "forecast-bull.json")
    build_data_docs(good, "Check results of run run-1")
    index = build_data_docs(bad, "Check results of run run-1")
    assert index == folder / INDEX
    text = index.read_text(encoding="utf-8")
    assert "<script" not in text  # readable offline
    rows = [r for r in text.split("<tr>")[2:]]
    # failed suites come first, with the rule's message in words
    assert "FAILED" in rows[0] and "forecast-bull" in rows[0]
    failed = [p for p in bad_report.problems()]
    assert failed and any(p.message.split(" (")[0] in rows[0] for p in failed)
    n_suites = len(json.loads(good.read_text())["suites"]) + len(
        json.loads(bad.read_text())["suites"])
    assert len(rows) == n_suites
    for report_json in (good, bad):
        for suite in json.loads(report_json.read_text())["suites"]:
            page = page_path(folder, report_json.stem, suite)
            assert page.exists() and f'href="{page.relative_to(folder)}"' in text
            html = page.read_text(encoding="utf-8")
            assert suite in html
            # GX's "Home" link of a validation page leads back to this index
            homes = {h.split('"')[0] for h in html.split('href="')[1:]
                     if h.split('"')[0].endswith("index.html")}
            assert {(page.parent / h).resolve() for h in homes} == {index.resolve()}
