"""The `sensitivity` output suite on real tornado, Sobol and given-data rows and corrupted
copies."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
import pytest

from chipcast.checks import validate_sensitivity
from chipcast.inputs import load_inputs
from chipcast.project import SHIPPED_DATA as DATA_DIR
from chipcast.uncertainty.montecarlo import run_monte_carlo
from chipcast.uncertainty.sensitivity import given_data, sensitivity

GIVEN_DATA_DRAWS = 128  # few draws: the noisiest given-data indices a run may publish


@pytest.fixture(scope="module")
def rows() -> pl.DataFrame:
    """Shipped base scenario, Sobol n = 64 and given-data indices from 128 Monte Carlo draws:
    the noisiest indices a run may publish."""
    inputs = load_inputs(DATA_DIR, "base")
    mc = run_monte_carlo(inputs, draws=GIVEN_DATA_DRAWS)
    given = given_data("base", mc.inputs, mc.input_ids, mc.headlines)
    return pl.concat([sensitivity(inputs, n=64), given])


def _row_of(df: pl.DataFrame, method: str) -> int:
    """1-based row of the first row of `method` (the row the corruptions below touch)."""
    return int(df.with_row_index("i").filter(pl.col("method") == method)["i"][0]) + 1


def _set(method: str, column: str, value: object) -> Callable[[pl.DataFrame], pl.DataFrame]:
    def corrupt(df: pl.DataFrame) -> pl.DataFrame:
        first = pl.int_range(pl.len()) == _row_of(df, method) - 1
        return df.with_columns(pl.when(first).then(pl.lit(value, dtype=df.schema[column]))
                               .otherwise(pl.col(column)).alias(column))
    return corrupt


def test_real_rows_pass(rows: pl.DataFrame) -> None:
    assert set(rows["method"]) == {"tornado", "sobol", "given_data"}
    given = rows.filter(pl.col("method") == "given_data")
    assert given["pawn"].drop_nulls().len() > 0  # PAWN for the top inputs by S1
    report = validate_sensitivity(rows)
    assert report.success, [str(p) for p in report.problems()]
    suites = set(report.results_frame("r")["suite"])
    assert suites == {"sensitivity", "sensitivity.tornado", "sensitivity.sobol",
                      "sensitivity.given_data"}


def test_run_id_column_is_part_of_the_key(rows: pl.DataFrame) -> None:
    two_runs = pl.concat([rows.with_columns(pl.lit(r).alias("run_id")) for r in ("a", "b")])
    assert validate_sensitivity(two_runs).success


@pytest.mark.parametrize("method, corrupt, fragment", [
    ("tornado", _set("tornado", "swing", 123.0), "swing differs from |high - low|"),
    ("tornado", _set("tornado", "s1", 0.5), "a tornado row has s1"),
    ("tornado", _set("tornado", "high", None), "high is empty"),
    ("tornado", _set("tornado", "method", "morris"), "unknown sensitivity method"),
    ("tornado", _set("tornado", "unit", "A100-eq/month"), "wrong unit for this headline"),
    ("tornado", _set("tornado", "input", "mfu"), "input is not a param id"),
    ("sobol", _set("sobol", "s1", 5.0), "s1 is above 1 beyond sampling noise"),
    ("sobol", _set("sobol", "st", -5.0), "st is below 0 beyond sampling noise"),
    ("sobol", _set("sobol", "s1", float("nan")), "s1 is empty"),
    ("sobol", _set("sobol", "low", 1.0), "a Sobol row has low"),
    ("sobol", _set("sobol", "st_conf", -0.2), "st_conf is negative"),
    ("sobol", _set("sobol", "pawn", 0.3), "a Sobol row has pawn"),
    ("tornado", _set("tornado", "pawn", 0.3), "a tornado row has pawn"),
    ("given_data", _set("given_data", "pawn", 1.5), "pawn is outside [0, 1]"),
    ("given_data", _set("given_data", "pawn", -0.01), "pawn is outside [0, 1]"),
    ("given_data", _set("given_data", "pawn", float("inf")), "pawn is outside [0, 1]"),
    ("given_data", _set("given_data", "s1", 5.0), "s1 is above 1 beyond sampling noise"),
    ("given_data", _set("given_data", "s1", None), "s1 is empty"),
    ("given_data", _set("given_data", "st", 0.5), "a given-data row has st"),
    ("given_data", _set("given_data", "swing", 1.0), "a given-data row has swing"),
    ("given_data", _set("given_data", "s1_conf", -0.2), "s1_conf is negative"),
])
def test_corrupted_row_is_named(rows: pl.DataFrame, method: str,
                                corrupt: Callable[[pl.DataFrame], pl.DataFrame],
                                fragment: str) -> None:
    report = validate_sensitivity(corrupt(rows))
    assert not report.success
    hits = [p for p in report.problems() if fragment in p.message]
    assert hits, [str(p) for p in report.problems()]
    assert hits[0].file == "sensitivity" and hits[0].row == _row_of(rows, method)
    assert hits[0].column and hits[0].hint


def test_swapped_indices_and_duplicates_fail(rows: pl.DataFrame) -> None:
    sob = rows.filter(pl.col("method") == "sobol")
    # a large effect with S1 > ST + noise can only come from swapped columns
    big = sob.with_columns(pl.lit(0.9).alias("s1"), pl.lit(0.1).alias("st"),
                           pl.lit(0.01).alias("s1_conf"), pl.lit(0.01).alias("st_conf"))
    text = "\n".join(str(p) for p in validate_sensitivity(big).problems())
    assert "st (total) is below s1" in text
    dup = pl.concat([rows, rows.tail(1)])
    text = "\n".join(str(p) for p in validate_sensitivity(dup).problems())
    assert "more than one row per (scenario, headline, input, method)" in text
    assert f"row {rows.height + 1}" in text


def test_small_n_noise_is_tolerated(rows: pl.DataFrame) -> None:
    """S1 slightly below 0 at n = 64 is sampling noise, not a failure (module docstring)."""
    sob = rows.filter(pl.col("method") == "sobol")
    noisy = sob.with_columns(pl.lit(-0.08).alias("s1"),
                             pl.lit(None, pl.Float64).alias("s1_conf"))
    assert validate_sensitivity(noisy).success
    beyond = sob.with_columns(pl.lit(-0.3).alias("s1"), pl.lit(0.05).alias("s1_conf"))
    assert not validate_sensitivity(beyond).success


def test_given_data_pawn_may_be_empty(rows: pl.DataFrame) -> None:
    """PAWN is computed for the top inputs by S1 only: empty elsewhere is fine."""
    given = rows.filter(pl.col("method") == "given_data")
    assert given["pawn"].null_count() > 0 and given["pawn"].drop_nulls().len() > 0
    assert validate_sensitivity(given).success


def test_given_data_pawn_is_not_nan(rows: pl.DataFrame) -> None:
    given = rows.filter(pl.col("method") == "given_data")
    first = pl.int_range(pl.len()) == 0
    nan = given.with_columns(pl.when(first).then(float("nan")).otherwise(pl.col("pawn"))
                             .alias("pawn"))
    problems = validate_sensitivity(nan).problems()
    assert [(p.row, p.column) for p in problems] == [(1, "pawn")], [str(p) for p in problems]


def test_given_data_s1_noise_is_tolerated(rows: pl.DataFrame) -> None:
    given = rows.filter(pl.col("method") == "given_data")
    noisy = given.with_columns(pl.lit(-0.08).alias("s1"), pl.lit(None, pl.Float64)
                               .alias("s1_conf"))
    assert validate_sensitivity(noisy).success
    beyond = given.with_columns(pl.lit(-0.3).alias("s1"), pl.lit(0.05).alias("s1_conf"))
    problems = validate_sensitivity(beyond).problems()
    assert problems and all(p.message.startswith("s1 is below 0") for p in problems)
