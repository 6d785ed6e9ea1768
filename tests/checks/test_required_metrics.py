"""Roofline-only inputs are required exactly when a scenario uses inference_mode roofline."""

from __future__ import annotations

from pathlib import Path

from fixture_data import copy_data

from chipcast.checks import validate_inputs
from chipcast.contracts import NUMERIC_TABLES, required_metrics
from chipcast.inputs import load_inputs

ROOFLINE_ONLY = {m.name for spec in NUMERIC_TABLES.values() for m in spec.metrics.values()
                 if m.modes == {"roofline"}}


def test_required_metrics_depend_on_the_inference_mode() -> None:
    assert ROOFLINE_ONLY == {"kv_bytes_per_token", "decode_batch", "memory_bandwidth_efficiency"}
    assert not ROOFLINE_ONLY & set(required_metrics("usage", "compute"))
    assert {"decode_batch", "memory_bandwidth_efficiency"} <= set(
        required_metrics("usage", "roofline"))
    assert "kv_bytes_per_token" in required_metrics("model_classes", "roofline")


def test_missing_roofline_rows_fail_only_roofline_scenarios(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    usage = data / "usage.csv"
    usage.write_text("".join(line for line in usage.read_text().splitlines(keepends=True)
                             if not line.startswith("*,decode_batch")))
    assert validate_inputs(load_inputs(data, "base")).success  # compute mode
    report = validate_inputs(load_inputs(data, "roofline"))  # roofline mode
    assert not report.success
    assert any("decode_batch" in str(p) for p in report.problems())
