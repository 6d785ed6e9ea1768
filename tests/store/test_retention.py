"""Retention: `prune --keep N` drops superseded and unpublished runs but no published mart row."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.cli import main
from chipcast.config import RunConfig
from chipcast.contracts.marts import MARTS
from chipcast.errors import UsageError
from chipcast.store import publish, retention
from chipcast.store import warehouse as wh


def _forecast(value: float) -> pl.DataFrame:
    return pl.DataFrame([
        dict(month=date(2023, m, 1), scenario="base", firm=f, workload="all", sku="all",
             vendor="all", metric="units_shipped", value=value * m, unit="units/month")
        for m, f in itertools.product(range(1, 13), ("f1", "f2", "f3"))])


def _quantiles(value: float) -> pl.DataFrame:
    rows = []
    for m in range(1, 13):
        key = dict(scenario="base", month=date(2023, m, 1), firm="all", workload="all",
                   sku="all", vendor="all", metric="units_shipped", unit="units/month")
        rows += [dict(key, stat="quantile", quantile=q, value=value * m * (0.5 + q))
                 for q in (0.05, 0.1, 0.5, 0.9, 0.95)]
        rows.append(dict(key, stat="mean", quantile=None, value=value * m))
    return pl.DataFrame(rows)


def _publish(out: Path, value: float, draws: bool) -> str:
    with publish.Publication(out, meta={"scenarios": ["base"]}) as pub:
        with pub.paths.connect() as con:
            wh.start_run(con, pub.run_id, RunConfig(out_dir=out, draws=64 if draws else 0))
            wh.write_forecast(con, pub.run_id, _forecast(value))
            if draws:
                wh.write_quantiles(con, pub.run_id, _quantiles(value))
            wh.finish_run(con, pub.run_id, "published")
            wh.create_marts(con)
        pub.paths.export()
        pub.paths.validation.mkdir(parents=True)
        (pub.paths.validation / "index.html").write_text("<html></html>")
        pub.commit()
    return pub.run_id


def _marts(out: Path) -> dict[str, list[tuple]]:
    """Every row of every one-vintage view (the history views list runs, so they shrink)."""
    con = duckdb.connect(str(out / wh.DB_NAME), read_only=True)
    try:
        return {view: con.execute(f'SELECT * FROM "{view}"').fetchall()  # noqa: S608 - registry
                for view, spec in MARTS.items() if not spec.all_runs and view != "mart_runs"}
    finally:
        con.close()


def test_prune_keeps_the_newest_runs_and_what_the_views_show(tmp_path: Path, capsys) -> None:
    full = _publish(tmp_path, 1.0, draws=True)  # the bands views keep showing this one
    quick = [_publish(tmp_path, v, draws=False) for v in (2.0, 3.0, 4.0)]
    failed_checks = tmp_path / "validation" / "20990101T000000000Z-abcdef"  # never published
    failed_checks.mkdir()
    before = _marts(tmp_path)
    size_before = (tmp_path / wh.DB_NAME).stat().st_size
    assert main(["prune", "--keep", "1", "--out-dir", str(tmp_path)]) == 0
    assert "dropped 2" in capsys.readouterr().out
    assert _marts(tmp_path) == before  # the published views are unchanged
    con = duckdb.connect(str(tmp_path / wh.DB_NAME), read_only=True)
    try:
        runs = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY 1").fetchall()]
        left = {t: con.execute(f'SELECT count(*) FROM "{t}" WHERE run_id IN '  # noqa: S608
                               "(SELECT unnest($d))", {"d": quick[:2]}).fetchone()[0]
                for t in retention.run_tables(con)}
    finally:
        con.close()
    assert runs == [full, quick[-1]]
    assert set(left.values()) == {0}, left
    assert wh.header_version(tmp_path / wh.DB_NAME) == 67  # still the pinned format
    for run_id in quick[:2]:
        assert not (tmp_path / "exports" / run_id).exists()
        assert not (tmp_path / "report" / f"{run_id}.html").exists()
        assert not (tmp_path / "validation" / run_id).exists()
    assert not failed_checks.exists()
    for run_id in (full, quick[-1]):
        assert (tmp_path / "exports" / run_id / "forecast.parquet").exists()
        assert (tmp_path / "validation" / run_id / "index.html").exists()
    assert publish.latest_run_id(tmp_path) == quick[-1]
    assert (tmp_path / wh.DB_NAME).stat().st_size <= size_before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".prune")]
    assert leftovers == []
    # nothing more to drop: the file is left as it is (open readers keep their file)
    inode = (tmp_path / wh.DB_NAME).stat().st_ino
    result = retention.prune(tmp_path, 1)
    assert result.dropped == () and not result.rewritten
    assert (tmp_path / wh.DB_NAME).stat().st_ino == inode


def test_keep_setting() -> None:
    assert retention.keep_setting({}) is None
    assert retention.keep_setting({"CHIPCAST_KEEP_RUNS": " 3 "}) == 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(UsageError, match="CHIPCAST_KEEP_RUNS"):
            retention.keep_setting({"CHIPCAST_KEEP_RUNS": bad})
    with pytest.raises(UsageError):
        retention.prune(Path("."), 0)
