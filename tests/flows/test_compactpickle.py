"""The result cache's pickle library: objects holding polars frames come back equal (schema and
values) through flows.compactpickle and through a cache folder's Prefect result store, and a
frame of repeated labels is stored far smaller than cloudpickle stores it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import cloudpickle
import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from flows import caching, compactpickle


@dataclass
class Held:
    frame: pl.DataFrame
    array: np.ndarray
    extra: dict


def _frame(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    return pl.DataFrame({
        "scenario": ["base"] * n,
        "metric": [f"metric_{i % 40}" for i in range(n)],
        "month": [date(2024, 1 + i % 12, 1) for i in range(n)],
        "value": rng.normal(size=n),
        "maybe": [None if i % 7 else float(i) for i in range(n)],
        "kind": pl.Series([("a", "b")[i % 2] for i in range(n)], dtype=pl.Categorical),
    })


def test_round_trip_keeps_frames_arrays_and_the_rest() -> None:
    held = Held(_frame(5_000), np.arange(12.0).reshape(3, 4), {"k": [1, 2], "f": _frame(3)})
    back = compactpickle.loads(compactpickle.dumps(held))
    assert_frame_equal(back.frame, held.frame)
    assert_frame_equal(back.extra["f"], held.extra["f"])
    assert back.frame.schema == held.frame.schema
    np.testing.assert_array_equal(back.array, held.array)
    assert back.extra["k"] == [1, 2]


def test_repeated_labels_are_stored_compressed() -> None:
    frame = _frame(50_000)
    assert len(compactpickle.dumps(frame)) * 5 < len(cloudpickle.dumps(frame))


def test_cache_folder_round_trip(tmp_path: Path) -> None:
    held = Held(_frame(1_000), np.ones(3), {})
    caching.put(tmp_path, "k1", held)
    assert caching.is_cached(tmp_path, "k1") and not caching.is_cached(tmp_path, "k2")
    back = caching.get(tmp_path, "k1")
    assert_frame_equal(back.frame, held.frame)
    # the record names the pickle library, so it reads back in another process too
    assert compactpickle.__name__.encode() in (tmp_path / "k1").read_bytes()
