"""Suites for segments.csv and segment_drivers.csv: drivers known, one owner of the installed
base, every segment has the numbers its driver reads."""

from __future__ import annotations

import polars as pl

from chipcast.checks.engine import CheckFrame, Rule
from chipcast.checks.rules import (
    between,
    columns_exist,
    in_set,
    missing_rule,
    not_null,
    numeric_table,
    unique,
)
from chipcast.contracts import SEGMENT_DRIVER_METRICS, SEGMENT_DRIVERS
from chipcast.inputs import Inputs


def checks(inputs: Inputs) -> list[CheckFrame]:
    """segments (one row per segment), segments.owner, segment_drivers rows and
    segment_drivers.coverage (one row per segment x metric its driver reads)."""
    seg = inputs.segments
    rules = columns_exist(seg, "segments") + not_null(["segment", "name", "driver", "source"])
    rules += [unique(["segment"], "segments"),
              in_set("driver", list(SEGMENT_DRIVERS), "unknown driver",
                     hint="use " + ", ".join(SEGMENT_DRIVERS))]
    firms = set(inputs.firms["firm"].drop_nulls())
    clash = seg.with_columns(pl.col("segment").is_in(sorted(firms)).cast(pl.Int64)
                             .alias("is_a_firm"))
    rules.append(in_set("is_a_firm", [0], "a segment has a firm's id",
                        hint="buyers need distinct ids: rename the segment"))
    owners = pl.DataFrame({"owners": [int((seg["driver"] == "installed_growth").sum())],
                           "_file": ["segments.csv"], "_row": [None]},
                          schema={"owners": pl.Int64, "_file": pl.Utf8, "_row": pl.Int64})
    owner = between("owners", 0 if inputs.installed_base.height == 0 else 1, 1,
                    "the installed base needs exactly one owner",
                    hint="give one segment the driver installed_growth (it owns the cards of "
                    "installed_base.csv)")
    owner.scale = None
    drivers = numeric_table("segment_drivers", inputs.segment_drivers)
    drivers.rules.append(in_set("segment", seg["segment"].drop_nulls().to_list(),
                                "segment not found in segments.csv",
                                hint="add the segment to segments.csv or fix the id"))
    need = pl.DataFrame([{"segment": s, "metric": m, "_file": f, "_row": r}
                         for s, d, f, r in seg.select("segment", "driver", "_file", "_row")
                         .iter_rows() for m in SEGMENT_DRIVER_METRICS.get(d, ())],
                        schema={"segment": pl.Utf8, "metric": pl.Utf8, "_file": pl.Utf8,
                                "_row": pl.Int64})
    have = inputs.segment_drivers.select("segment", "metric").unique().with_columns(
        pl.lit(1).alias("_have"))
    grid = need.join(have, on=["segment", "metric"], how="left").with_columns(
        pl.when(pl.col("_have").is_null())
        .then(pl.concat_str("segment", pl.lit("/"), "metric")).otherwise(None)
        .alias("missing")).drop("_have")
    cover = missing_rule("a segment lacks a number its driver reads",
                         "add the segment_drivers.csv row (segment, metric, value, unit, source)")
    # a number the segment's driver does not read would be silently ignored: name it
    reads = pl.DataFrame([{"driver": d, "metric": m} for d, ms in SEGMENT_DRIVER_METRICS.items()
                          for m in ms], schema={"driver": pl.Utf8, "metric": pl.Utf8})
    unread = (inputs.segment_drivers.join(seg.select("segment", "driver"), on="segment",
                                          how="inner")
              .join(reads.with_columns(pl.lit(1).alias("_read")), on=["driver", "metric"],
                    how="left")
              .with_columns(pl.when(pl.col("_read").is_null()).then(pl.col("metric"))
                            .otherwise(None).alias("unread"))
              .select("segment", "driver", "metric", "unread", "_file", "_row"))
    unread_rule = Rule("ExpectColumnValuesToBeNull", {"column": "unread"},
                       "the segment's driver does not read this metric", label="metric",
                       hint_fn=lambda r: f"driver {r['driver']} reads "
                       + ", ".join(SEGMENT_DRIVER_METRICS.get(r["driver"], ()))
                       + ": remove the row or change the segment's driver")
    return [CheckFrame("segments", "segments.csv", clash, rules),
            CheckFrame("segments.owner", "segments.csv", owners, [owner]),
            drivers,
            CheckFrame("segment_drivers.coverage", "segments.csv", grid, [cover]),
            CheckFrame("segment_drivers.read", "segment_drivers.csv", unread, [unread_rule])]
