"""A suite that passed on a frame is not validated again on an equal frame in the same process
(the shipped scenarios share most input tables): the reused result equals a fresh one, and a
changed value, a changed type, changed rules or an earlier failure all validate again."""

from __future__ import annotations

import json

import polars as pl
import pytest

import chipcast.checks.engine as engine
from chipcast.checks import validate_inputs
from chipcast.checks.engine import CheckFrame, run_checks
from chipcast.checks.rules import between, not_null
from chipcast.inputs import load_inputs
from chipcast.project import SHIPPED_DATA


@pytest.fixture
def validations(monkeypatch) -> list[str]:
    """Names of the suites GX actually validates (run_check calls), memo emptied first."""
    monkeypatch.setattr(engine, "_PASSED", {})
    calls: list[str] = []
    real = engine.run_check

    def counted(check: CheckFrame):
        calls.append(check.name)
        return real(check)

    monkeypatch.setattr(engine, "run_check", counted)
    return calls


def _check(values: list, name: str = "t") -> CheckFrame:
    frame = pl.DataFrame({"x": values, "_file": ["t.csv"] * len(values),
                          "_row": list(range(1, len(values) + 1))})
    return CheckFrame(name, "t.csv", frame, [*not_null(["x"]), between("x", 0, 10, "x in 0-10")])


def test_an_equal_frame_reuses_the_passed_result(validations: list[str]) -> None:
    first = run_checks([_check([1, 2, 3])])
    again = run_checks([_check([1, 2, 3])])
    assert validations == ["t"]
    assert again.success and again.suite_results[0] is first.suite_results[0]


def test_other_values_types_rules_or_a_failure_validate_again(validations: list[str]) -> None:
    run_checks([_check([1, 2, 3])])
    run_checks([_check([1, 2, 4])])  # one value differs
    run_checks([_check([1.0, 2.0, 3.0])])  # equal values, another type
    changed = _check([1, 2, 3])
    changed.rules[1] = between("x", 0, 2, "x in 0-2")
    assert not run_checks([changed]).success  # other rules: 3 is out of range now
    assert not run_checks([changed]).success  # a failure is never reused
    assert validations == ["t"] * 5


def test_shipped_scenarios_reuse_equals_fresh_validation(validations: list[str]) -> None:
    """Every shipped scenario's input report, with suites reused from the scenarios checked
    before it, equals the report validated from scratch (GX's batch load time aside)."""

    def canon(report) -> tuple[dict, list]:
        suites = {}
        for s in report.suite_results:
            doc = json.loads(json.dumps(s.gx_result, default=str))
            doc["meta"]["batch_markers"].pop("ge_load_time")
            suites[s.suite] = doc
        return suites, report.results_frame("r").drop("checked_at").rows()

    scenarios = ("base", "bear", "seed-2023")
    reused = {s: canon(validate_inputs(load_inputs(SHIPPED_DATA, s))) for s in scenarios}
    n_reused = len(validations)
    for s in scenarios:
        engine._PASSED.clear()
        assert canon(validate_inputs(load_inputs(SHIPPED_DATA, s))) == reused[s], s
    # the shared tables were validated once in the first pass, once per scenario in the second
    assert n_reused < len(validations) - n_reused
