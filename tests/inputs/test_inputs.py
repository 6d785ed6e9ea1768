"""chipcast.inputs: typed reading, scenario resolution, alias lookup, reading errors."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from fixture_data import DATA, PURPOSES

from chipcast.contracts import TABLES
from chipcast.errors import InputError
from chipcast.inputs import (
    available_scenarios,
    load_inputs,
    parse_date,
    parse_number,
    read_table_text,
    resolve_sku,
)
from chipcast.inputs.types import dtype
from chipcast.project import SHIPPED_DATA as DATA_DIR

SHIPPED = DATA_DIR.is_dir() and all((DATA_DIR / s.file).is_file() for s in TABLES.values())


def _check_types(inputs) -> None:
    for name, frame in inputs.tables().items():
        spec = TABLES[name]
        for col in spec.all_columns:
            assert frame.schema[col] == dtype(spec, col), (name, col)
        assert frame.schema["_row"] == pl.Int64
        assert frame["_row"].null_count() == 0
        if spec.numeric:
            for col in ("dist", "value", "low", "mode", "high"):
                assert frame[col].null_count() == 0, (name, col)


def test_fixture_files_are_described() -> None:
    """tests/fixtures/fixture_data.PURPOSES names every file of the fixture data, no more."""
    files = {str(p.relative_to(DATA)) for p in DATA.rglob("*") if p.is_file()}
    assert files == set(PURPOSES)


def test_fixture_base_types_and_files() -> None:
    inputs = load_inputs(DATA)
    _check_types(inputs)
    assert inputs.chips.schema["aliases"] == pl.List(pl.Utf8)
    assert inputs.vendor_share.schema["year"] == pl.Int64
    assert inputs.settings.start == date(2022, 1, 1) and inputs.settings.end == date(2023, 12, 1)
    assert inputs.scenario is inputs.settings
    assert [f.path for f in inputs.files] == [s.file for s in TABLES.values()] + [
        "scenarios/base.yaml"]
    assert all(len(f.sha256) == 64 for f in inputs.files)
    rows = {f.path: f.rows for f in inputs.files}
    assert rows["chips.csv"] == inputs.chips.height


def test_fixed_dist_filled_and_mode_defaults() -> None:
    inputs = load_inputs(DATA)
    specs = inputs.chip_specs
    fixed = specs.filter(pl.col("dist") == "fixed")
    assert fixed.height == specs.height  # every cell of dist is empty in chip_specs.csv
    assert (fixed["low"] == fixed["value"]).all() and (fixed["high"] == fixed["value"]).all()
    classes = inputs.model_classes
    assert (classes["mode"] == classes["value"]).all()  # the fixture gives no explicit mode
    uni = classes.filter(pl.col("dist") == "uniform").row(0, named=True)
    assert (uni["low"], uni["value"], uni["high"]) == (0.3, 0.5, 0.6)


def test_scenario_chain_overrides() -> None:
    base = load_inputs(DATA)
    alt = load_inputs(DATA, "roofline")
    assert alt.settings.name == "roofline" and alt.settings.inference_mode == "roofline"
    assert alt.settings.start == date(2023, 1, 1)  # from from-2023, which roofline extends
    assert alt.settings.end == date(2025, 6, 1)
    # tables: replaces the whole table
    assert alt.firms["name"].to_list() == ["Firm A Ltd.", "Firm B Group"]
    assert base.firms["name"].to_list() == ["Firm A", "Firm B"]
    # set: in the parent replaces a row, inherits unit and source, keeps the row count
    life = alt.fleet.filter(pl.col("metric") == "chip_lifetime_years").row(0, named=True)
    assert life["value"] == 4 and life["unit"] == "years" and life["dist"] == "fixed"
    assert life["_file"] == "scenarios/from-2023.yaml" and life["_row"] == 1
    assert alt.fleet.height == base.fleet.height
    # set: adds a new keyed row with its own distribution
    b = alt.usage.filter(pl.col("firm") == "b").row(0, named=True)
    assert (b["value"], b["low"], b["high"], b["dist"]) == (2e7, 1e7, 3e7, "uniform")
    assert alt.usage.height == base.usage.height + 1
    paths = [f.path for f in alt.files]
    assert "scenarios/roofline/firms.csv" in paths and "firms.csv" not in paths
    assert paths[-3:] == ["scenarios/base.yaml", "scenarios/from-2023.yaml",
                          "scenarios/roofline.yaml"]


def test_unknown_scenario_lists_available() -> None:
    with pytest.raises(InputError) as exc:
        load_inputs(DATA, "nope")
    text = str(exc.value)
    assert "nope" in text and "roofline" in text and "base" in text


def test_resolve_sku_aliases() -> None:
    inputs = load_inputs(DATA)
    assert resolve_sku(inputs, "a100") == "A100-80GB-SXM"
    assert resolve_sku(inputs, "A100-80") == "A100-80GB-SXM"  # the second alias of the list
    assert resolve_sku(inputs, "910") == "Ascend-910"
    assert resolve_sku(inputs, "A800-80GB-SXM") == "A800-80GB-SXM"
    with pytest.raises(InputError) as exc:
        resolve_sku(inputs, "H200")
    assert "H200" in str(exc.value) and "a100-80" in str(exc.value)


@pytest.mark.parametrize(
    "cell, fragment",
    [("1,000", "remove separators: write 1000"), ("80%", "0.8"), ("312 TFLOPS", "'unit'"),
     ("abc", "not a number"), ("1,5", "decimal point"), ("inf", "finite")],
)
def test_parse_number_hints(cell: str, fragment: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_number(cell)
    assert fragment in f"{exc.value} {exc.value.hint}"  # type: ignore[attr-defined]


def test_excel_serial_date_hint() -> None:
    with pytest.raises(ValueError) as exc:
        parse_date("45017")
    assert "Excel" in str(exc.value) and "2023-04-01" in exc.value.hint  # type: ignore[attr-defined]
    assert parse_date("2023-04-01") == date(2023, 4, 1)


def test_all_problems_of_a_file_collected() -> None:
    text = "firm,name,name_zh,sector,rationale,source\na,A,,x,y,s\n\nb,B,,x,y\n"
    with pytest.raises(InputError) as exc:
        read_table_text(text, TABLES["firms"], "firms.csv")
    rows = sorted(p.row for p in exc.value.problems)
    assert rows == [2, 3]


@pytest.mark.skipif(not SHIPPED, reason="data/ not written yet")
@pytest.mark.parametrize("scenario", available_scenarios(DATA_DIR) if SHIPPED else ["base"])
def test_shipped_scenarios_load(scenario: str) -> None:
    inputs = load_inputs(DATA_DIR, scenario)
    _check_types(inputs)
    assert inputs.settings.name == scenario
    assert inputs.chips.height >= 10
    for alias in ("A100", "A800", "H100", "H800", "H20", "L20", "910B"):
        assert resolve_sku(inputs, alias.lower()) in inputs.chips["sku"].to_list()


def test_base_yaml_optional(tmp_path: Path) -> None:
    shutil.copytree(DATA, tmp_path / "d")
    for y in (tmp_path / "d" / "scenarios").glob("*.yaml"):
        y.unlink()
    assert available_scenarios(tmp_path / "d") == ["base"]
    assert load_inputs(tmp_path / "d").settings.inference_mode == "compute"


def test_scenario_table_files_stay_inside_the_scenarios_folder(tmp_path: Path) -> None:
    data = shutil.copytree(DATA, tmp_path / "data")
    (data / "scenarios" / "escape.yaml").write_text(
        "name: escape\ntables:\n  firms: ../../outside/firms.csv\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_inputs(data, "escape")
    text = str(err.value)
    assert "scenarios/escape.yaml" in text and "outside data/scenarios/" in text
    assert "tables.firms" in text
