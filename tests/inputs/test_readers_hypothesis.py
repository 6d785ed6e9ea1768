"""Property-based tests for the CSV readers: valid tables round-trip; junk only raises
InputError."""

from __future__ import annotations

import csv
import io
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcast.contracts import TABLES
from chipcast.errors import InputError
from chipcast.inputs import read_table_text
from chipcast.inputs.csvfile import decode as _decode

# Printable text without separators' troublesome edge: csv quoting handles commas and quotes.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20
               ).map(str.strip).filter(bool)
# Ids (keys and references) are plain ASCII (chipcast.inputs.cells.parse_identifier).
ID = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+/()-]{0,15}", fullmatch=True)
NUMBER = st.floats(min_value=-1e15, max_value=1e15, allow_nan=False, allow_infinity=False)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ID, TEXT, TEXT, TEXT), min_size=1, max_size=8))
def test_identity_table_round_trip(rows) -> None:
    spec = TABLES["firms"]
    data = [[f, n, "", s, r, "src"] for f, n, s, r in rows]
    frame = read_table_text(_csv(list(spec.columns), data), spec, "firms.csv")
    assert frame.height == len(rows)
    assert frame["firm"].to_list() == [r[0] for r in rows]
    assert frame["rationale"].to_list() == [r[3] for r in rows]
    assert frame["_row"].to_list() == list(range(1, len(rows) + 1))
    assert frame["name_zh"].null_count() == len(rows)


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ID, NUMBER, st.one_of(st.none(), NUMBER)), min_size=1, max_size=8))
def test_numeric_table_round_trip(rows) -> None:
    spec = TABLES["chip_specs"]
    data = []
    for sku, value, mode in rows:
        data.append([sku, "memory_gb", repr(value), "GB", "", "", "" if mode is None
                     else repr(mode), "", "src", ""])
    frame = read_table_text(_csv(list(spec.all_columns), data), spec, "chip_specs.csv")
    assert frame["value"].to_list() == [r[1] for r in rows]
    assert frame["mode"].to_list() == [r[1] if r[2] is None else r[2] for r in rows]
    assert (frame["dist"] == "fixed").all()
    assert frame["low"].to_list() == frame["value"].to_list() == frame["high"].to_list()
    assert all(math.isfinite(v) for v in frame["value"])


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.sampled_from(sorted(TABLES)))
def test_junk_bytes_only_raise_input_error(raw: bytes, table: str) -> None:
    spec = TABLES[table]
    header = ",".join(spec.columns).encode()
    for blob in (raw, header + b"\n" + raw):
        try:
            read_table_text(_decode(blob, "x.csv"), spec, "x.csv")
        except InputError as exc:
            assert exc.problems and all(p.file == "x.csv" for p in exc.problems)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=12), max_size=6),
       st.sampled_from(sorted(TABLES)))
def test_junk_cells_only_raise_input_error(rows, table: str) -> None:
    spec = TABLES[table]
    text = _csv(list(spec.all_columns), rows)
    try:
        frame = read_table_text(text, spec, "x.csv")
    except InputError as exc:
        # A bare CR in a cell is a line break to CSV: rows are counted in records read.
        lines = len(text.splitlines())
        assert all(p.row is None or 0 <= p.row <= lines for p in exc.problems)
    else:
        assert frame.height <= len(text.splitlines())
