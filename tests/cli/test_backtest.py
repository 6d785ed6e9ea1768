"""`chipcast backtest` through the CLI entry point on the fixture data: the JSON contract, any
actuals file in the documented format, the out-of-sample mode, and exit codes 1 and 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fixture_data import copy_data, read_text

from chipcast.cli import main
from chipcast.inputs import load_inputs
from chipcast.model import demand, series
from chipcast.model.params import parameters
from chipcast.model.structure import compile_structure
from chipcast.uncertainty.sampling import draw_plan

HEADER = read_text("actuals.csv").splitlines()[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_data(tmp_path_factory.mktemp("bt"))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["backtest", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_rows_are_quantiles_of_each_draws_sum(data: Path, capsys) -> None:
    code, out, _ = _run(capsys, "--data-dir", str(data), "--draws", "256", "--json")
    assert code == 0
    result = json.loads(out)
    rows = {r["id"]: r for r in result["rows"]}
    assert set(rows) == {"cards-2023", "nvidia-share-2023"}
    for r in rows.values():
        assert {"id", "p10", "p50", "p90", "value", "inside", "ratio"} <= set(r)
        assert r["p10"] <= r["p50"] <= r["p90"]
        assert r["inside"] == (r["p10"] <= r["value"] <= r["p90"])
        assert r["ratio"] == pytest.approx(r["value"] / r["p50"])
    assert result["coverage"] == pytest.approx(np.mean([r["inside"] for r in rows.values()]))
    # cards shipped in 2023, per draw from the published series, then quantiles
    inputs = load_inputs(data, "base")
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", seed=20231)
    vals, meta = series.series_values(st, demand.simulate(st, plan.paramset(
        plan.draw_matrix(256))))
    year = meta.month.astype("datetime64[Y]").astype(int) + 1970
    cols = (meta.metric == "units_shipped") & (meta.firm == "all") & (meta.sku == "all") & \
        (meta.vendor == "all") & (year == 2023)
    want = np.quantile(vals[:, cols].sum(axis=1), [0.1, 0.5, 0.9], method="hazen")
    got = rows["cards-2023"]
    assert [got["p10"], got["p50"], got["p90"]] == pytest.approx(list(want), rel=1e-9)
    # NVIDIA holds half of 2023's cards in every draw (vendor_share.csv)
    assert rows["nvidia-share-2023"]["p10"] == pytest.approx(0.5)
    assert rows["nvidia-share-2023"]["p90"] == pytest.approx(0.5)


def test_any_actuals_file_in_the_format(data: Path, tmp_path: Path, capsys) -> None:
    mine = tmp_path / "my-figures.csv"
    mine.write_text(HEADER + "\nb-2023,units_shipped,,,,b,2023-01,2023-06,700,600,800,units,"
                    "my notes,2023-08-01,\n", encoding="utf-8")
    code, out, _ = _run(capsys, "--data-dir", str(data), "--draws", "64", "--json",
                        "--actuals", str(mine))
    assert code == 0
    assert [r["id"] for r in json.loads(out)["rows"]] == ["b-2023"]
    code, out, _ = _run(capsys, "--data-dir", str(data), "--draws", "64",
                        "--actuals", str(mine))
    assert code == 0 and "b-2023" in out and "coverage:" in out


def test_fit_until_scores_only_the_later_actuals(data: Path, tmp_path: Path, capsys) -> None:
    mine = tmp_path / "two.csv"
    mine.write_text(HEADER + "\nearly,units_shipped,,,,,2022-06,2022-06,2000,1000,4000,units,t,"
                    "2022-08-01,\nlate,units_shipped,,,,,2023-06,2023-06,900,400,2000,units,t,"
                    "2023-08-01,\n", encoding="utf-8")
    code, out, _ = _run(capsys, "--data-dir", str(data), "--draws", "256", "--json",
                        "--actuals", str(mine), "--fit-until", "2022-12")
    assert code == 0
    result = json.loads(out)
    assert result["calibration"] == "posterior" and result["scored"] == "out_of_sample"
    assert result["fitted"] == ["early"] and [r["id"] for r in result["rows"]] == ["late"]
    assert result["effective_sample_size"] > 0 and result["fit_until"] == "2022-12"


@pytest.mark.parametrize(("row", "column"), [
    ("x,units_sold,,,,,2023-01,2023-02,1,1,1,units,t,2024-01-01,", "quantity"),
    ("x,units_shipped,,,,,2023-01,2023-02,5,6,7,units,t,2024-01-01,", "low"),
    ("x,units_shipped,,,,,2023-13,2023-02,1,1,1,units,t,2024-01-01,", "start"),
    ("x,units_shipped,,,,,2023-01,2023-02,1,1,1,units,t,2024-01-01,", None),  # valid
])
def test_a_bad_actuals_file_exits_1_naming_row_and_column(data: Path, tmp_path: Path, capsys,
                                                          row: str, column: str | None) -> None:
    mine = tmp_path / "bad.csv"
    mine.write_text(HEADER + "\n" + row + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "--data-dir", str(data), "--draws", "64", "--actuals",
                        str(mine))
    if column is None:
        assert code == 0
        return
    assert code == 1
    assert "bad.csv" in err and "row 1" in err and column in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ("--scenario", "nope"), ("--fit-until", "2024-13"), ("--draws", "0"),
    ("--actuals", "/no/such/file.csv"), ("--sampler", "dice"),
])
def test_wrong_usage_exits_2(data: Path, capsys, argv: tuple[str, ...]) -> None:
    code, _, err = _run(capsys, "--data-dir", str(data), *argv)
    assert code == 2, err
    assert "Traceback" not in err
