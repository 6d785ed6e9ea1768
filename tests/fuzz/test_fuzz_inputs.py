"""Fuzzing the three ways a user's text enters chipcast (issue 12): the CSV readers, the YAML
scenarios and the formula parser. Whatever the text, reading either succeeds or raises
InputError whose problems name the file that was changed (formulas: FormulaError); no other
exception, and (for YAML and formulas) memory stays under a bound: tracemalloc's peak while the
input is read, far below what an alias bomb or a power tower would need.

Kept to a few seconds: small examples, a fixed number of them, no deadline surprises on a
shared 2-core machine (deadline off, max_examples stated per test).
"""

from __future__ import annotations

import csv
import io
import shutil
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from fixture_data import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcast.contracts import FORMULA_VARIABLES, TABLES
from chipcast.contracts.formulas import SAMPLE_CASE
from chipcast.errors import InputError
from chipcast.inputs import load_inputs
from chipcast.model.formulas import FormulaError, parse_formula


def fuzz(examples: int) -> settings:
    """Hypothesis settings: `examples` examples, no deadline (a shared 2-core machine)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[
        HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


YAML_PEAK_BYTES = 64 * 1024 * 1024  # reading a scenario of a few kB stays far below this
FORMULA_PEAK_BYTES = 8 * 1024 * 1024
FORMULA_SECONDS = 1.0

# Characters users (and attackers) actually type: ASCII, separators, quotes, look-alike
# letters (Cyrillic а, full-width Ａ), a no-break space, an RTL mark, a NUL, a BOM.
TRICKY = "abcAB019 ,;\t\"'\n\r.-_*/%#:&!{}[]|\u0430\uff21\u00a0\u200f\x00\ufeff"
CELL = st.text(st.sampled_from(TRICKY), max_size=12)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the fixture data for the module; each example restores what it changed."""
    return Path(shutil.copytree(DATA, tmp_path_factory.mktemp("fuzz") / "data"))


@contextmanager
def _replaced(path: Path, raw: bytes) -> Iterator[None]:
    """Write `raw` over `path` for the duration of the block, then put the old bytes back."""
    old = path.read_bytes() if path.exists() else None
    path.write_bytes(raw)
    try:
        yield
    finally:
        if old is None:
            path.unlink()
        else:
            path.write_bytes(old)


def _peak(action: Callable[[], Any]) -> tuple[Any, int]:
    """(the action's result or the exception it raised, tracemalloc's peak in bytes)."""
    tracemalloc.start()
    try:
        try:
            result: Any = action()
        except Exception as exc:  # noqa: BLE001 - the caller asserts which exceptions are fine
            result = exc
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _load_only_input_errors(data: Path, scenario: str, changed: str) -> None:
    try:
        load_inputs(data, scenario)
    except InputError as exc:
        assert exc.problems
        assert {p.file for p in exc.problems} == {changed}, exc


def _csv(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


@fuzz(60)
@given(table=st.sampled_from(sorted(TABLES)),
       rows=st.lists(st.lists(CELL, min_size=1, max_size=12), max_size=5),
       keep_header=st.booleans())
def test_csv_files_only_raise_input_errors(data_dir: Path, table: str, rows: list[list[str]],
                                           keep_header: bool) -> None:
    spec = TABLES[table]
    header = [list(spec.all_columns)] if keep_header else []
    rel = spec.file
    with _replaced(data_dir / rel, _csv(header + rows)):
        _load_only_input_errors(data_dir, "base", rel)


@fuzz(40)
@given(table=st.sampled_from(sorted(TABLES)), raw=st.binary(max_size=200))
def test_csv_bytes_only_raise_input_errors(data_dir: Path, table: str, raw: bytes) -> None:
    rel = TABLES[table].file
    with _replaced(data_dir / rel, raw):
        _load_only_input_errors(data_dir, "base", rel)


SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=True, allow_infinity=True), CELL,
                   st.sampled_from(["base", "../base", "/etc/passwd", "2023-01", "9999-12",
                                    "fleet", "vendor_share", "share", "NVIDIA", "value"]))
KEY = st.sampled_from(["name", "description", "extends", "settings", "tables", "set", "start",
                       "end", "inference_mode", "calibrate", "fit_until", "table", "metric",
                       "value", "year", "vendor", "firm", "unit", "source", "dist", "low",
                       "high", "firms", "usage", "x"])
TREE = st.recursive(SCALAR, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(KEY, kids, max_size=5)), max_leaves=20)


@fuzz(80)
@given(doc=st.dictionaries(KEY, TREE, max_size=6))
def test_yaml_scenarios_only_raise_input_errors(data_dir: Path, doc: dict) -> None:
    rel = "scenarios/fuzz.yaml"
    raw = yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")
    with _replaced(data_dir / rel, raw):
        result, peak = _peak(lambda: load_inputs(data_dir, "fuzz"))
    assert peak < YAML_PEAK_BYTES
    if isinstance(result, InputError):
        files = {p.file for p in result.problems}
        # a problem names the fuzzed scenario, or a scenario its `extends` reached
        assert files and all(f.startswith("scenarios/") for f in files), result
    else:
        assert not isinstance(result, Exception), repr(result)


# Raw text in YAML's syntax: anchors, aliases, merges, tags, flow and block collections.
YAML_TOKENS = st.sampled_from(["&a ", "*a", "<<: ", "!!python/object:os.system ", "!!binary ",
                               "[", "]", "{", "}", ", ", ": ", "- ", "\n", "  ", "? ", "'",
                               '"', "|", ">", "#", "name", "set", "x", "1", "2023-01", "~",
                               "\t", "%YAML 1.1\n", "---\n", "...\n"])


@fuzz(120)
@given(tokens=st.lists(YAML_TOKENS, max_size=40))
def test_yaml_syntax_only_raises_input_errors(data_dir: Path, tokens: list[str]) -> None:
    rel = "scenarios/fuzz.yaml"
    with _replaced(data_dir / rel, "".join(tokens).encode("utf-8")):
        result, peak = _peak(lambda: load_inputs(data_dir, "fuzz"))
    assert peak < YAML_PEAK_BYTES
    if isinstance(result, InputError):
        assert all(p.file.startswith("scenarios/") for p in result.problems), result
    else:
        assert not isinstance(result, Exception), repr(result)


@fuzz(40)
@given(depth=st.integers(2, 12), width=st.integers(2, 12))
def test_any_alias_is_refused_before_it_expands(data_dir: Path, depth: int, width: int) -> None:
    lines = ["name: fuzz", "l0: &l0 [lol]"] + [
        f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, depth)]
    rel = "scenarios/fuzz.yaml"
    with _replaced(data_dir / rel, "\n".join(lines).encode("utf-8")):
        result, peak = _peak(lambda: load_inputs(data_dir, "fuzz"))
    assert isinstance(result, InputError)
    assert [p.file for p in result.problems] == [rel]
    assert "aliases" in str(result) and result.problems[0].row == 3
    assert peak < YAML_PEAK_BYTES


FORMULA_TOKENS = st.sampled_from(
    ["1", "0", "2.5", "1e308", "9" * 40, "-", "+", "*", "/", "**", "(", ")", " ", "=", ".",
     "x", "_", "__import__", "'s'", "[", "]", ",", "lambda", "if", "not", "~", "%", "//",
     "@", "<", "True", *sorted(FORMULA_VARIABLES)])


@fuzz(300)
@given(tokens=st.lists(FORMULA_TOKENS, max_size=60))
def test_formula_parser_bounded(tokens: list[str]) -> None:
    text = "".join(tokens)
    env = {k: np.full(64, v) for k, v in SAMPLE_CASE.items()}

    def parse_and_evaluate() -> Any:
        return parse_formula(text, FORMULA_VARIABLES).evaluate(env)

    start = time.perf_counter()
    result, peak = _peak(parse_and_evaluate)
    assert time.perf_counter() - start < FORMULA_SECONDS
    assert peak < FORMULA_PEAK_BYTES
    assert not isinstance(result, Exception) or isinstance(result, FormulaError), repr(result)


@fuzz(60)
@given(base=st.sampled_from(["10", "2", "active_params", "1e10", "(1+1)"]),
       height=st.integers(3, 6))
def test_power_towers_are_refused(base: str, height: int) -> None:
    text = "**".join([base] * height)
    with pytest.raises(FormulaError, match="exponent"):
        parse_formula(text, FORMULA_VARIABLES)
