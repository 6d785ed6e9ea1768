"""The one registry (chipcast.contracts): every consumer reads it, nothing restates it, and the
import rules between the rooms hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixture_data import copy_data

from chipcast.checks.outputs import UNITS, UNITS_WITH_HEADLINES
from chipcast.contracts import (
    HEADLINES,
    NUMERIC_TABLES,
    OUTPUT_METRICS,
    QUANTILE_NAMES,
    QUANTILES,
    TABLES,
    required_metrics,
)
from chipcast.inputs import load_inputs
from chipcast.model import outputs, series
from chipcast.model.params import param_table
from chipcast.store import warehouse as wh

ROOT = Path(__file__).resolve().parents[2]


def test_import_rules_hold() -> None:
    """The layers, the pure maths and the acyclic rooms of pyproject's [tool.importlinter]."""
    exe = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(exe), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 kept, 0 broken" in done.stdout


def test_every_headline_has_one_computation_and_the_mart_a_column() -> None:
    assert set(series.HEADLINE_FUNCTIONS) == set(HEADLINES)
    sql = wh.mart_sql("mart_scenario_comparison")
    for name in HEADLINES:
        assert f"AS {name}" in sql


def test_output_units_come_from_the_registry() -> None:
    assert UNITS == {m: spec.unit for m, spec in OUTPUT_METRICS.items()}
    assert {h: UNITS_WITH_HEADLINES[h] for h in HEADLINES} == {
        h: spec.unit for h, spec in HEADLINES.items()}


def test_quantile_levels_have_column_names() -> None:
    assert QUANTILES == tuple(sorted(QUANTILES))
    assert list(QUANTILE_NAMES.values()) == ["p05", "p10", "p50", "p90", "p95"]


def test_staging_tables_are_generated_from_the_registry() -> None:
    con = duckdb.connect()
    wh.create_schema(con)
    for name, spec in TABLES.items():
        assert wh.table_columns(con, f"stg_{name}") == [
            "run_id", "scenario", *spec.all_columns, "_file", "_row"]
    assert not list((ROOT / "sql" / "staging").glob("stg_*.sql"))  # no hand-written copies


def test_param_ids_cover_every_numeric_table(tmp_path: Path) -> None:
    params = param_table(load_inputs(copy_data(tmp_path), "base"))
    assert set(params["table"]) <= set(NUMERIC_TABLES)
    for row in params.iter_rows(named=True):
        assert row["metric"] in NUMERIC_TABLES[row["table"]].metrics


def test_model_outputs_use_only_registered_metrics_and_units(tmp_path: Path) -> None:
    frame, heads = outputs.deterministic(load_inputs(copy_data(tmp_path), "base"))
    for metric, unit in frame.select("metric", "unit").unique().iter_rows():
        assert OUTPUT_METRICS[metric].unit == unit
    assert set(heads["headline"]) == set(HEADLINES)
    for name, unit in heads.select("headline", "unit").iter_rows():
        assert HEADLINES[name].unit == unit
    # per-SKU flags: the compute need carries sku 'all', fleets a real sku
    need = frame.filter(frame["metric"] == "a100_equivalents_required")
    assert set(need["sku"]) == {"all"}


@pytest.mark.parametrize("mode", ["compute", "roofline"])
def test_required_metrics_are_declared(mode: str) -> None:
    for table, spec in NUMERIC_TABLES.items():
        assert set(required_metrics(table, mode)) <= set(spec.metrics)


def _constant_assignments(path: Path) -> dict[str, str]:
    """Module-level NAME = <dict or tuple literal> assignments of a source file, as text."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict | ast.Tuple):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = ast.unparse(node.value)
    return out


def test_no_module_restates_the_vocabulary() -> None:
    """Units, quantile levels, headline names and the A100/A800 families are literals in
    chipcast/contracts only."""
    literals = {"'A100-eq/month'", "0.05, 0.1, 0.5, 0.9, 0.95", "('A100', 'A800')",
                "'a100_a800_units_shipped_2023_2025'"}
    for path in sorted((ROOT / "chipcast").rglob("*.py")):
        if "contracts" in path.parts:
            continue
        for name, text in _constant_assignments(path).items():
            for literal in literals:
                assert literal not in text, f"{path.relative_to(ROOT)}: {name} restates {literal}"
