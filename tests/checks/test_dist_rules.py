"""The numeric-table rules reject every row chipcast.model.distributions.frozen rejects (so a run
whose inputs pass the checks cannot fail building its distributions), and the dist-specific
rules reject nothing frozen accepts."""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl

from chipcast.checks.engine import run_check
from chipcast.checks.rules import numeric_table
from chipcast.contracts import DISTS as KNOWN_DISTS
from chipcast.contracts import TABLES
from chipcast.inputs.types import schema
from chipcast.model.distributions import DistributionError, frozen

DIST_MESSAGES = ("an uncertain input needs high > low", "a lognormal input needs low > 0")


def _grid() -> pl.DataFrame:
    """usage rows of one metric (prompt_tokens: range 0-1e6) over dists x low x mode x high,
    as the reader leaves them: mode filled from value, fixed rows' bounds from value."""
    rows: list[dict[str, Any]] = []
    dists = [*KNOWN_DISTS, "gamma"]
    for dist, low, high, mode in itertools.product(dists, (0.0, 1.0, 2.0), (0.0, 1.0, 2.0),
                                                   (None, 0.5, 1.0, 3.0)):
        value = 1.0
        rows.append({"firm": f"f{len(rows)}", "metric": "prompt_tokens", "value": value,
                     "unit": "tokens/question", "dist": dist, "low": low,
                     "mode": value if mode is None else mode, "high": high, "source": "test",
                     "note": None, "_file": "usage.csv", "_row": len(rows) + 1})
    return pl.DataFrame(rows, schema=schema(TABLES["usage"]))


def _rejected_by_frozen(frame: pl.DataFrame) -> set[int]:
    out = set()
    for r in frame.iter_rows(named=True):
        try:
            frozen(r["dist"], r["value"], r["low"], r["mode"], r["high"])
        except DistributionError:
            out.add(r["_row"])
    return out


def _flagged(frame: pl.DataFrame) -> dict[str, set[int]]:
    """Rule message -> every row it flags (from the full GX result, not the 5 printed)."""
    check = numeric_table("usage", frame)
    result = run_check(check).gx_result
    out: dict[str, set[int]] = {}
    for res in result["results"]:
        message = check.rules[int(res["expectation_config"]["meta"]["rule"])].message
        rows = {int(e["_row"]) for e in (res["result"].get("unexpected_index_list") or [])}
        out.setdefault(message, set()).update(rows)
    return out


def test_checks_reject_every_row_frozen_rejects() -> None:
    frame = _grid()
    bad = _rejected_by_frozen(frame)
    flagged = _flagged(frame)
    everything = set().union(*flagged.values())
    assert bad and bad <= everything, sorted(bad - everything)
    # The dist rules add no false alarms: each flags only rows frozen rejects, and each fires.
    for message in DIST_MESSAGES:
        assert flagged.get(message), message
        assert flagged[message] <= bad, (message, sorted(flagged[message] - bad))


def test_fixed_rows_may_have_equal_bounds() -> None:
    frame = _grid().filter((pl.col("dist") == "fixed") & (pl.col("low") == 1.0)
                           & (pl.col("high") == 1.0) & (pl.col("mode") == 1.0))
    assert frame.height == 2  # mode empty (filled from value) and mode 1
    assert not set().union(*_flagged(frame).values())
