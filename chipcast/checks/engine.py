"""Run declarative check rules as Great Expectations 1.x suites and turn failures into Problems.

A suite module builds `CheckFrame`s: a polars frame (every row carrying `_file` and `_row`, the
user's file and 1-based data row) and the `Rule`s to run on it. Group rules (sums, ordering,
coverage, gaps) are expressed on aggregated or pivoted frames built by the suite module, so every
rule is an ordinary GX expectation. GX is imported here lazily (it costs ~5 s); one ephemeral
context is built per process and reused.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl

from chipcast.errors import CheckFailed, Problem

MAX_ROWS_PER_FAILURE = 5  # problems printed per failed expectation (the count says the rest)
# Passed suites kept for reuse (see `_reusable`): frames of at most this many rows (the input
# tables; an output table differs per scenario and would only hold memory), at most this many.
REUSE_MAX_ROWS = 10_000
REUSE_MAX_ENTRIES = 1_024


@dataclass
class Rule:
    """One expectation: GX class name and kwargs, plus what to tell the user when it fails.

    `when` = (column, value) restricts the rule to rows where column == value. `scale` =
    (low, high) is the plausible range, used to suggest a factor of 100/1e3/.../1e12 when a
    failing value is off by one.
    """

    expectation: str
    kwargs: dict[str, Any]
    message: str
    hint: str = ""
    when: tuple[str, Any] | None = None
    scale: tuple[float, float] | None = None
    scale_labels: dict[float, str] = field(default_factory=dict)
    hint_fn: Callable[[dict[str, Any]], str] | None = None  # hint from the whole failing row
    label: str | None = None  # the user's column to name (and show) instead of the checked ones

    @property
    def column(self) -> str | None:
        if self.label:
            return self.label
        kw = self.kwargs
        if "column" in kw:
            return kw["column"]
        if "column_A" in kw:
            return f"{kw['column_A']}/{kw['column_B']}"
        if "column_list" in kw:
            return "+".join(kw["column_list"])
        return None


@dataclass
class CheckFrame:
    """A frame to validate as one GX suite named `name`; `file` labels rows without `_file`."""

    name: str
    file: str
    frame: pl.DataFrame
    rules: list[Rule]


@dataclass
class Outcome:
    """One expectation's result, reduced to what users and the warehouse need."""

    expectation: str
    column: str | None
    success: bool
    unexpected_count: int
    sample: list[str]
    problems: list[Problem]
    position: int | None = None  # the rule's place in its suite
    message: str = ""  # what the rule asserts, in words


class SuiteResult:
    """One suite's outcomes and the raw GX result (`gx_result`, a JSON-able dict).

    `gx_result` accepts the dict or the GX result object; the object is converted on first use
    (serialising every result costs ~5 ms a suite and is only needed by `write_json`)."""

    def __init__(self, suite: str, file: str, outcomes: list[Outcome], gx_result: Any) -> None:
        self.suite = suite
        self.file = file
        self.outcomes = outcomes
        self._gx_result = gx_result

    @property
    def gx_result(self) -> dict[str, Any]:
        if not isinstance(self._gx_result, dict):
            self._gx_result = self._gx_result.to_json_dict()
        return self._gx_result

    def __getstate__(self) -> dict[str, Any]:  # pickles (Prefect results) hold the dict only
        return {"suite": self.suite, "file": self.file, "outcomes": self.outcomes,
                "_gx_result": self.gx_result}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"SuiteResult({self.suite!r}, success={self.success})"

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)


@dataclass
class CheckReport:
    """All suites of one validation (inputs of a scenario, or one output table)."""

    suite_results: list[SuiteResult]

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suite_results)

    def results_frame(self, run_id: str, scenario: str | None = None) -> pl.DataFrame:
        """One row per expectation: run_id, scenario, table_name (the suite's name up to its
        first '.'), suite, position, expectation, column, message, success, unexpected_count,
        sample (str), checked_at (UTC timestamp)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "run_id": run_id,
                "scenario": scenario,
                "table_name": s.suite.split(".", 1)[0],
                "suite": s.suite,
                "position": o.position,
                "message": o.message,
                "expectation": o.expectation,
                "column": o.column,
                "success": o.success,
                "unexpected_count": o.unexpected_count,
                "sample": ", ".join(o.sample),
                "checked_at": now,
            }
            for s in self.suite_results
            for o in s.outcomes
        ]
        schema = {"run_id": pl.Utf8, "scenario": pl.Utf8, "table_name": pl.Utf8,
                  "suite": pl.Utf8, "position": pl.Int32, "message": pl.Utf8,
                  "expectation": pl.Utf8,
                  "column": pl.Utf8, "success": pl.Boolean, "unexpected_count": pl.Int64,
                  "sample": pl.Utf8, "checked_at": pl.Datetime("us")}
        return pl.DataFrame(rows, schema=schema)

    def problems(self) -> list[Problem]:
        """Every failure as a Problem (file, row, column, values, hint)."""
        return [p for s in self.suite_results for o in s.outcomes if not o.success
                for p in o.problems]

    def raise_for_failure(self) -> None:
        """Raise CheckFailed listing the problems if any expectation failed."""
        if not self.success:
            raise CheckFailed(self.problems())

    def write_json(self, path: Path) -> Path:
        """Write the GX results of all suites to `path` (one JSON object); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"success": self.success,
               "suites": {s.suite: s.gx_result for s in self.suite_results}}
        path.write_text(json.dumps(doc, indent=1, default=str, sort_keys=True), encoding="utf-8")
        return path


@cache
def _batch_definition() -> Any:
    """A whole-dataframe batch definition on an ephemeral context (built once per process)."""
    import os

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    source = context.data_sources.add_pandas("chipcast")
    asset = source.add_dataframe_asset("frames")
    return asset.add_batch_definition_whole_dataframe("whole")


def _gx_expectation(rule: Rule, index: int) -> Any:
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs = dict(rule.kwargs)
    if rule.when is not None:
        kwargs["row_condition"] = Column(rule.when[0]) == rule.when[1]
    kwargs["meta"] = {"rule": index, "message": rule.message, "hint": rule.hint}
    return getattr(gxe, rule.expectation)(**kwargs)


# Expectations that only test membership, nulls or equality of whole values: safe on pandas
# categoricals (pair rules are not: pandas refuses to compare categoricals with different
# categories).
_CATEGORICAL_SAFE = frozenset({
    "ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeNull", "ExpectColumnValuesToBeInSet",
    "ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"})


def _columns_of(rule: Rule) -> list[str]:
    kw = rule.kwargs
    cols = [kw[k] for k in ("column", "column_A", "column_B") if k in kw]
    return cols + list(kw.get("column_list", []))


def _categorical_columns(frame: pl.DataFrame, rules: list[Rule]) -> list[str]:
    """Text columns only used by categorical-safe rules (or row conditions, or not at all).

    A categorical column is hashed (GX fingerprints every batch) and matched per distinct value
    instead of per row: on the ~100k-row output tables this roughly halves the per-suite cost.
    """
    text = {c for c, t in frame.schema.items() if t == pl.Utf8}
    for rule in rules:
        if rule.expectation not in _CATEGORICAL_SAFE:
            text -= set(_columns_of(rule))
    return [c for c in frame.columns if c in text]


def as_categorical(frame: pl.DataFrame, rules: list[Rule]) -> pl.DataFrame:
    """`frame` with the text columns that `rules` only read in categorical-safe ways (see
    `_categorical_columns`) cast to Categorical, as `run_check` converts them anyway.

    A suite module that derives more frames (group-bys, pivots, joins) from a large table calls
    this first: polars then groups and joins on the categories' integer codes instead of
    hashing strings, and the conversion to pandas finds them already cast. Values, row order
    and what GX validates are unchanged."""
    return frame.with_columns(pl.col(c).cast(pl.Categorical)
                              for c in _categorical_columns(frame, rules))


def _to_pandas(frame: pl.DataFrame, rules: list[Rule] | None = None) -> Any:
    # List columns (chip aliases) are not hashable for GX: check them as ';'-joined text.
    lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
    if lists:
        frame = frame.with_columns(pl.col(c).list.join(";") for c in lists)
    for col, default in (("_file", None), ("_row", None)):
        if col not in frame.columns:
            frame = frame.with_columns(pl.lit(default).alias(col))
    if rules is not None:
        frame = frame.with_columns(pl.col(c).cast(pl.Categorical)
                                   for c in _categorical_columns(frame, rules))
    return frame.to_pandas()


def scale_hint(value: float, low: float, high: float, labels: dict[float, str]) -> str:
    """Hint for a value that is a power-of-ten factor off the plausible range [low, high].

    Of the factors that bring it into range, the one landing nearest the range's (geometric)
    centre wins; 100 is only tried where `labels` names it (percentages of fractions).
    """
    factors = [f for f in (100.0, 1e3, 1e6, 1e9, 1e12) if f != 100.0 or 100.0 in labels]
    centre = math.log10(math.sqrt(low * high)) if low > 0 else math.log10(high)
    best: tuple[float, str] | None = None
    for factor in factors:
        for fixed, sign in ((value / factor, 1), (value * factor, -1)):
            if not (low <= fixed <= high) or fixed <= 0 or (sign < 0 and value >= low) or (
                    sign > 0 and value <= high):
                continue
            what = labels.get(sign * factor, "")
            what = f" ({what})" if what else ""
            if sign > 0:
                text = (f"{value:g} is {factor:g}x the plausible range{what}: "
                        f"divide by {factor:g}")
            else:
                text = (f"{value:g} is 1/{factor:g} of the plausible range{what}: "
                        f"multiply by {factor:g}")
            dist = abs(math.log10(fixed) - centre)
            if best is None or dist < best[0]:
                best = (dist, text)
    return best[1] if best else ""


def _text(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "<empty>"
    if value is None:
        return "<empty>"
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _outcome(check: CheckFrame, rule: Rule, res: Any) -> Outcome:
    result = res.result or {}
    exc = res.exception_info or {}
    raised = exc.get("raised_exception") if isinstance(exc, dict) else False
    count = int(result.get("unexpected_count") or 0)
    sample = [_text(v) for v in (result.get("partial_unexpected_list") or [])[:5]]
    problems: list[Problem] = []
    full_rows: dict[tuple[Any, Any], dict[str, Any]] = {}
    index = result.get("unexpected_index_list") or []
    if not res.success and rule.hint_fn is not None and "_row" in check.frame.columns:
        # Only the rows that will be printed: iterating a 100k-row frame costs ~0.5 s.
        shown = [e.get("_row") for e in index[:MAX_ROWS_PER_FAILURE] if isinstance(e, dict)]
        some = check.frame.filter(pl.col("_row").is_in([r for r in shown if r is not None]))
        full_rows = {(r["_file"], r["_row"]): r for r in some.iter_rows(named=True)}
    if not res.success:
        if raised:
            problems.append(Problem(check.file, f"{rule.message} (check could not run: "
                                    f"{exc.get('exception_message')})", column=rule.column,
                                    hint=rule.hint))
        col = rule.kwargs.get("column") or rule.kwargs.get("column_A")
        for entry in index[:MAX_ROWS_PER_FAILURE]:
            entry = entry if isinstance(entry, dict) else {}
            row = entry.get("_row")
            row = None if row is None or (isinstance(row, float) and math.isnan(row)) else int(row)
            value = entry.get(col) if col else None
            values = [_text(value)] if col else []
            if "column_B" in rule.kwargs:
                values.append(_text(entry.get(rule.kwargs["column_B"])))
            if "column_list" in rule.kwargs:
                values = [_text(entry.get(c)) for c in rule.kwargs["column_list"]]
            fname = entry.get("_file")
            fname = check.file if not isinstance(fname, str) else fname
            # The user's column: from the checked columns, else from the whole row (rules with
            # a hint_fn), else the checked column's value stands in.
            full = full_rows.get((fname, row), {})
            if rule.label and (rule.label in entry or rule.label in full):
                value = entry[rule.label] if rule.label in entry else full[rule.label]
                values = [_text(value)]
            hint = rule.hint
            if rule.scale and isinstance(value, int | float) and not math.isnan(value):
                hint = scale_hint(float(value), *rule.scale, rule.scale_labels) or hint
            if rule.hint_fn is not None and (fname, row) in full_rows:
                hint = rule.hint_fn(full_rows[(fname, row)]) or hint
            problems.append(Problem(fname, rule.message, hint=hint, row=row or None,
                                    column=rule.column, values=values))
        if len(index) > MAX_ROWS_PER_FAILURE and problems:
            problems[-1].message += f" (and {len(index) - MAX_ROWS_PER_FAILURE} more rows)"
        if not problems:  # table-level expectation: no rows to point at
            problems.append(Problem(check.file, rule.message, hint=rule.hint,
                                    column=rule.column, values=sample))
    return Outcome(res.expectation_config.type, rule.column, bool(res.success), count, sample,
                   problems, int(res.expectation_config.meta["rule"]), rule.message)


def run_check(check: CheckFrame) -> SuiteResult:
    """Validate one CheckFrame as a GX suite (whole dataframe batch, COMPLETE results)."""
    import great_expectations as gx
    from great_expectations.validator.v1_validator import Validator

    batch_definition = _batch_definition()  # the context must exist before a suite is built
    # Built in one go: `add_expectation` compares each new expectation with every earlier one.
    suite = gx.ExpectationSuite(name=check.name, expectations=[
        _gx_expectation(rule, index) for index, rule in enumerate(check.rules)])
    if len(suite.expectations) != len(check.rules):  # the constructor only logs a bad one
        raise ValueError(f"suite {check.name}: {len(check.rules) - len(suite.expectations)} "
                         "rule(s) are not valid GX expectations")
    params = {"dataframe": _to_pandas(check.frame, check.rules)}
    # The validator GX's own ValidationDefinition.run uses, on the batch definition directly:
    # `get_batch(...).validate(...)` loads (and fingerprints) the dataframe twice.
    # Most suites pass: a boolean pass is ~2x cheaper; only a failing suite is re-run with the
    # COMPLETE format that lists the failing rows.
    result = Validator(batch_definition, {"result_format": "BOOLEAN_ONLY"},
                       params).validate_expectation_suite(suite)
    if not result.success:
        result = Validator(batch_definition, {
            "result_format": "COMPLETE", "unexpected_index_column_names": ["_file", "_row"],
            "partial_unexpected_count": 5}, params).validate_expectation_suite(suite)
    # Results are matched to rules by the index stored in each expectation's meta.
    outcomes = [_outcome(check, check.rules[int(res.expectation_config.meta["rule"])], res)
                for res in result.results]
    return SuiteResult(check.name, check.file, outcomes, result)


def _rule_key(rule: Rule) -> str:
    """What a passing expectation's result depends on: every field but `hint_fn`, which is
    only called for failing rows (a closure's identity differs between two builds of the same
    suite)."""
    return repr([(f.name, getattr(rule, f.name)) for f in fields(rule) if f.name != "hint_fn"])


# Suite key -> [(frame, passed SuiteResult)]; the shipped scenarios share most input tables,
# so a run checks each distinct (suite, rules, frame) once instead of once per scenario.
_PASSED: dict[tuple[str, str, tuple[str, ...]], list[tuple[pl.DataFrame, SuiteResult]]] = {}
_PASSED_LOCK = threading.Lock()


def _suite_key(check: CheckFrame) -> tuple[str, str, tuple[str, ...]]:
    return check.name, check.file, tuple(_rule_key(r) for r in check.rules)


def _reusable(check: CheckFrame) -> SuiteResult | None:
    """The result of an earlier run of the same suite on an equal frame (same columns, types
    and values) in this process, if that run passed. Only passed suites are kept: a pass
    depends on the frame and the expectations alone, where a failure's problems also read
    `hint_fn`."""
    if check.frame.height > REUSE_MAX_ROWS:
        return None
    with _PASSED_LOCK:
        candidates = list(_PASSED.get(_suite_key(check), ()))
    for frame, result in candidates:
        # equals() alone takes 1 and 1.0 as equal: a type check would not
        if frame.schema == check.frame.schema and frame.equals(check.frame, null_equal=True):
            return result
    return None


def _keep(check: CheckFrame, result: SuiteResult) -> None:
    if check.frame.height > REUSE_MAX_ROWS or not result.success:
        return
    with _PASSED_LOCK:
        if sum(len(v) for v in _PASSED.values()) >= REUSE_MAX_ENTRIES:
            _PASSED.clear()
        _PASSED.setdefault(_suite_key(check), []).append((check.frame, result))


def run_checks(checks: list[CheckFrame]) -> CheckReport:
    """Run every CheckFrame; a report with one SuiteResult each. A suite that passed earlier in
    this process on an equal frame (`_reusable`) is not validated again: its result is the
    earlier one (including GX's batch load time)."""
    results = []
    for check in checks:
        result = _reusable(check)
        if result is None:
            result = run_check(check)
            _keep(check, result)
        results.append(result)
    return CheckReport(results)


def prepare() -> None:
    """Import Great Expectations and build the checks' ephemeral context now (~5 s, once per
    process) instead of at the first check: `chipcast run` does it while its temporary Prefect
    server boots."""
    _batch_definition()
