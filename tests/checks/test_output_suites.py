"""Output suites (forecast, forecast_quantiles) and the CheckReport API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from chipcast.checks import validate_forecast, validate_quantiles
from chipcast.checks.engine import MAX_ROWS_PER_FAILURE
from chipcast.errors import CheckFailed

UNITS = {"a100_equivalents_required": "A100-eq", "units_shipped": "units/month"}
# Two SKUs of two vendors (chips.csv's vendors), the published grain of chipcast.model.series.
SKUS = {"A800-80GB-SXM": ("NVIDIA", 10.0), "Ascend-910": ("Huawei", 5.0)}
FIRMS = ("baidu", "alibaba")
SCHEMA = {"month": pl.Date, "scenario": pl.Utf8, "firm": pl.Utf8, "workload": pl.Utf8,
          "sku": pl.Utf8, "vendor": pl.Utf8, "metric": pl.Utf8, "value": pl.Float64,
          "unit": pl.Utf8}


def _forecast(months: int = 4) -> pl.DataFrame:
    """A valid forecast in the published grain, totals computed here by hand: need per firm x
    training and its total over firms; units shipped per firm (sku/vendor 'all', the market's
    mix), per SKU (firm 'all', vendor = the chip's vendor), per vendor (sku 'all') and the
    total. Rows per month: 2 need + 1 need total + 2 firms + 2 SKUs + 2 vendors + 1 total."""
    rows = []
    total = sum(v for _, v in SKUS.values())
    for m in range(months):
        month = date(2024, 1 + m, 1)
        need = 100.0 * (m + 1)

        def row(firm: str, workload: str, sku: str, vendor: str, metric: str, value: float,
                month: date = month) -> tuple:
            return (month, "base", firm, workload, sku, vendor, metric, value, UNITS[metric])

        for firm in FIRMS:
            rows.append(row(firm, "training", "all", "all", "a100_equivalents_required", need))
        rows.append(row("all", "training", "all", "all", "a100_equivalents_required",
                        need * len(FIRMS)))
        for firm in FIRMS:
            rows.append(row(firm, "all", "all", "all", "units_shipped", total / len(FIRMS)))
        for sku, (vendor, units) in SKUS.items():
            rows.append(row("all", "all", sku, vendor, "units_shipped", units))
        by_vendor: dict[str, float] = {}
        for vendor, units in SKUS.values():
            by_vendor[vendor] = by_vendor.get(vendor, 0.0) + units
        for vendor, units in by_vendor.items():
            rows.append(row("all", "all", "all", vendor, "units_shipped", units))
        rows.append(row("all", "all", "all", "all", "units_shipped", total))
    return pl.DataFrame(rows, orient="row", schema=SCHEMA)


ROWS_PER_MONTH = 10


def _quantiles(months: int = 3, calibration: str = "prior") -> pl.DataFrame:
    rows = []
    levels = [(None, "mean", 50.0), (0.05, "quantile", 10.0), (0.1, "quantile", 20.0),
              (0.5, "quantile", 45.0), (0.9, "quantile", 80.0), (0.95, "quantile", 90.0)]
    for m in range(months):
        for q, stat, v in levels:
            rows.append(("r1", "base", date(2024, 1 + m, 1), "baidu", "inference", "all", "all",
                         "a100_equivalents_required", stat, q, v, "A100-eq", calibration))
    return pl.DataFrame(rows, orient="row", schema={
        "run_id": pl.Utf8, "scenario": pl.Utf8, "month": pl.Date, "firm": pl.Utf8,
        "workload": pl.Utf8, "sku": pl.Utf8, "vendor": pl.Utf8, "metric": pl.Utf8,
        "stat": pl.Utf8, "quantile": pl.Float64, "value": pl.Float64, "unit": pl.Utf8,
        "calibration": pl.Utf8})


def _problems(report) -> str:
    return "\n".join(str(p) for p in report.problems())


def _rows_where(df: pl.DataFrame, condition: pl.Expr) -> list[int]:
    """1-based rows of `df` (the rows a problem names) where `condition` holds."""
    return (df.with_row_index("i", offset=1).filter(condition)["i"].cast(pl.Int64).to_list())


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
    (lambda df: df.with_columns(pl.when((pl.col("firm") == "all")
                                        & (pl.col("workload") == "training"))
                                .then(pl.col("value") * 3).otherwise(pl.col("value"))
                                .alias("value")), "sum of its parts"),
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
    expected = _rows_where(df, (pl.col("metric") == "units_shipped")
                           & (pl.col("firm") == "alibaba"))
    assert [p.row for p in problems] == expected and len(expected) == 4
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


# --- the vendor dimension ------------------------------------------------------------------


def test_forecast_without_vendor_column_fails() -> None:
    report = validate_forecast(_forecast().drop("vendor"))
    lacks = [p for p in report.problems() if p.message == "forecast lacks contract columns"]
    assert lacks and "vendor" in lacks[0].hint.split(": ", 1)[1].split(", ")


def test_sku_row_under_another_vendor_breaks_the_vendor_total() -> None:
    """Ascend-910's rows filed under NVIDIA: NVIDIA's total (10) is no longer the sum of its
    SKUs (10 + 5); each month's NVIDIA row is named."""
    df = _forecast().with_columns(
        pl.when(pl.col("sku") == "Ascend-910").then(pl.lit("NVIDIA"))
        .otherwise(pl.col("vendor")).alias("vendor"))
    problems = [p for p in validate_forecast(df).problems()
                if "differs from the sum of its parts" in p.message]
    nvidia_total = _rows_where(df, (pl.col("sku") == "all") & (pl.col("vendor") == "NVIDIA"))
    assert sorted(p.row for p in problems) == nvidia_total and len(nvidia_total) == 4
    assert all(p.file == "forecast" and p.column == "rel_diff" and p.hint for p in problems)


def test_vendor_totals_that_do_not_add_up_to_the_total_fail() -> None:
    """NVIDIA's SKU and vendor rows raised together (consistent with each other), the market
    total left alone: the total is named, the vendor rows are not."""
    nvidia = (pl.col("vendor") == "NVIDIA") & (pl.col("metric") == "units_shipped")
    df = _forecast().with_columns(pl.when(nvidia).then(pl.col("value") + 2)
                                  .otherwise(pl.col("value")).alias("value"))
    problems = [p for p in validate_forecast(df).problems()
                if "differs from the sum of its parts" in p.message]
    totals = _rows_where(df, (pl.col("metric") == "units_shipped") & (pl.col("firm") == "all")
                         & (pl.col("sku") == "all") & (pl.col("vendor") == "all"))
    assert sorted(p.row for p in problems) == totals and len(totals) == 4
    # (15 + 2 - 15) / 15: the relative gap the problem shows
    assert problems[0].values == [f"{2 / 15:g}"]


def test_a_sku_under_two_vendors_fails() -> None:
    """Ascend-910 filed under NVIDIA in the last month with the vendor totals to match: every
    sum holds and no series has a gap, yet the SKU has two vendors."""
    last = pl.col("month") == date(2024, 4, 1)
    df = _forecast().with_columns(
        pl.when(last & (pl.col("sku") == "Ascend-910")).then(pl.lit("NVIDIA"))
        .otherwise(pl.col("vendor")).alias("vendor"),
        pl.when(last & (pl.col("sku") == "all") & (pl.col("vendor") == "NVIDIA"))
        .then(pl.lit(15.0)).otherwise(pl.col("value")).alias("value"))
    df = df.filter(~(last & (pl.col("sku") == "all") & (pl.col("vendor") == "Huawei")))
    report = validate_forecast(df)
    assert not report.success
    assert any(p.column == "vendor" for p in report.problems()), _problems(report)


def test_a_need_split_by_vendor_fails() -> None:
    """Every need row (the firms' and their total) filed under NVIDIA: the sums hold."""
    need = pl.col("metric") == "a100_equivalents_required"
    df = _forecast().with_columns(pl.when(need).then(pl.lit("NVIDIA"))
                                  .otherwise(pl.col("vendor")).alias("vendor"))
    report = validate_forecast(df)
    assert not report.success
    rows = {p.row for p in report.problems() if p.column == "vendor"}
    assert set(_rows_where(df, need)[:MAX_ROWS_PER_FAILURE]) <= rows


def test_quantiles_keep_prior_and_posterior_apart() -> None:
    both = pl.concat([_quantiles(), _quantiles(calibration="posterior")
                      .with_columns(pl.col("value") * 0.9)])
    report = validate_quantiles(both)
    assert report.success, _problems(report)


@pytest.mark.parametrize("calibration, fragment", [
    ("weighted", "unknown calibration"),
    ("Posterior", "unknown calibration"),
    (None, "calibration is empty"),
])
def test_unknown_calibration_fails_with_row(calibration: str | None, fragment: str) -> None:
    df = _quantiles()
    second = pl.col("month") == date(2024, 2, 1)
    df = df.with_columns(pl.when(second).then(pl.lit(calibration, pl.Utf8))
                         .otherwise(pl.col("calibration")).alias("calibration"))
    problems = [p for p in validate_quantiles(df).problems() if p.message.startswith(fragment)]
    rows = _rows_where(df, second)  # 6 rows: the first MAX_ROWS_PER_FAILURE are listed
    assert [p.row for p in problems] == rows[:MAX_ROWS_PER_FAILURE]
    assert problems[-1].message.endswith(f"(and {len(rows) - MAX_ROWS_PER_FAILURE} more rows)")
    assert all(p.column == "calibration" and p.hint for p in problems)
    if calibration is not None:
        assert "prior" in problems[0].hint and "posterior" in problems[0].hint
        assert problems[0].values == [calibration]


def test_quantile_means_over_vendors_must_sum_to_the_total() -> None:
    def series(vendor: str, scale: float) -> pl.DataFrame:
        return _quantiles().with_columns(
            pl.lit("all").alias("firm"), pl.lit("all").alias("workload"),
            pl.lit("units_shipped").alias("metric"), pl.lit("units/month").alias("unit"),
            pl.lit(vendor).alias("vendor"), pl.col("value") * scale)

    ok = pl.concat([series("NVIDIA", 1.0), series("Huawei", 0.5), series("all", 1.5)])
    assert validate_quantiles(ok).success
    # quantiles of a total are not sums of quantiles: only the means are checked
    p50 = (pl.col("vendor") == "all") & (pl.col("quantile") == 0.5)
    assert validate_quantiles(ok.with_columns(
        pl.when(p50).then(pl.col("value") * 1.1).otherwise(pl.col("value")).alias("value")
    )).success
    mean = (pl.col("vendor") == "all") & (pl.col("stat") == "mean")
    wrong = ok.with_columns(pl.when(mean).then(pl.col("value") * 1.1)
                            .otherwise(pl.col("value")).alias("value"))
    problems = [p for p in validate_quantiles(wrong).problems()
                if "differs from the sum of its parts" in p.message]
    assert sorted(p.row for p in problems) == _rows_where(wrong, mean)


def test_data_docs_pages_of_equal_results_are_rendered_once(tmp_path: Path, monkeypatch) -> None:
    """Two reports with equal suite results (two scenarios sharing a table) render each page
    once; the second report's pages equal the first's, and another result renders anew."""
    import chipcast.checks.docs as docs

    monkeypatch.setattr(docs, "_PAGES", {})
    rendered: list[str] = []
    real = docs._render_new_page

    def counted(result):
        rendered.append(result["suite_name"])
        return real(result)

    monkeypatch.setattr(docs, "_render_new_page", counted)
    folder = tmp_path / "validation" / "run-1"
    report = validate_forecast(_forecast())
    first = docs.render_pages(report.write_json(folder / "forecast-base.json"))
    n_suites = len(report.suite_results)
    second = docs.render_pages(report.write_json(folder / "forecast-bull.json"))
    assert len(rendered) == n_suites and len(second) == n_suites
    assert [p.read_text() for p in first] == [p.read_text() for p in second]
    bad = validate_forecast(_forecast().with_columns(pl.lit(-1.0).alias("value")))
    docs.render_pages(bad.write_json(folder / "forecast-bear.json"))
    failed = sum(not s.success for s in bad.suite_results)
    assert failed and len(rendered) >= n_suites + failed


def test_totals_frame_keeps_the_totals_order() -> None:
    """The totals frame lists the total rows in their table's order, every time (its first
    failing rows are the ones a user is shown): here 20,000 totals over firms."""
    from chipcast.checks.outputs import totals

    n = 20_000
    groups = [f"g{i}" for i in range(n)]
    df = pl.DataFrame({"g": groups * 3, "firm": ["a"] * n + ["b"] * n + ["all"] * n,
                       "value": [1.0] * (2 * n) + [2.0] * n}).with_columns(
        pl.lit("t").alias("_file"), pl.int_range(1, 3 * n + 1, dtype=pl.Int64).alias("_row"))
    expected = list(range(2 * n + 1, 3 * n + 1))  # the 'all' rows, in the table's order
    for _ in range(3):
        frame = totals(df, ["g", "firm"], "t").frame
        assert frame["_row"].to_list() == expected
        assert frame["rel_diff"].max() == 0.0


def test_quantile_frame_cast_once_validates_the_same_pandas_frame() -> None:
    """The quantile suite casts its text columns to Categorical before deriving its frames;
    GX must see the same pandas frame (batch fingerprint) and give the same outcomes as for
    the plain-text frame, and the columns a pair rule compares must stay text."""
    from dataclasses import asdict

    from chipcast.checks import forecast_quantiles
    from chipcast.checks.engine import CheckFrame, run_check

    good = _quantiles()
    bad = good.with_columns(pl.when(pl.col("quantile") == 0.9).then(pl.lit("units"))
                            .otherwise(pl.col("unit")).alias("unit"))
    for df in (good, bad):
        check = forecast_quantiles.checks(df)[0]
        assert check.frame.schema["unit"] == pl.Utf8
        assert check.frame.schema["expected_unit"] == pl.Utf8
        assert check.frame.schema["metric"] == pl.Categorical
        text = check.frame.with_columns(pl.col(pl.Categorical).cast(pl.Utf8))
        results = [run_check(c) for c in (check, CheckFrame(check.name, check.file, text,
                                                            check.rules))]
        prints = [r.gx_result["meta"]["batch_markers"]["pandas_data_fingerprint"]
                  for r in results]
        assert prints[0] == prints[1]
        assert [asdict(o) for o in results[0].outcomes] == [asdict(o)
                                                            for o in results[1].outcomes]
        assert results[0].success is (df is good)
