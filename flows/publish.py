"""Publish flow: mark the run published in its private copy, build the BI marts, export
Parquet and render the report into the run's private names. The parent flow then swaps them
into place (chipcast.store.publish.Publication.commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.report import render_report
from chipcast.store import warehouse
from chipcast.store.publish import RunPaths
from flows.common import stage, transient_only


@task(cache_policy=NO_CACHE)
def build_marts(out_dir: str, run_id: str) -> list[dict[str, Any]]:
    """Close the run as 'published' in the private copy and (re)create the mart views;
    returns mart_scenario_comparison (one dict per scenario). A run missing a table for a
    scenario it ran is not published (views would show it for some views only)."""
    with RunPaths(Path(out_dir), run_id).connect() as con:
        draws = con.execute(warehouse.sql("warehouse/run_draws"), {"run_id": run_id}).fetchone()
        missing = warehouse.missing_tables(con, run_id, draws[0] if draws else 0)
        if missing:
            raise RuntimeError(f"run {run_id} is incomplete, not published: no rows in "
                               + ", ".join(f"{t} for {s}" for s, t in missing))
        warehouse.finish_run(con, run_id, "published")
        warehouse.create_marts(con)
        return warehouse.scenario_comparison(con)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def export_parquet(out_dir: str, run_id: str) -> list[str]:
    """Write this run's Parquet exports to the private export folder."""
    return [str(p) for p in RunPaths(Path(out_dir), run_id).export()]


@task(cache_policy=NO_CACHE)
def write_report(out_dir: str, run_id: str) -> str:
    """Render this run's HTML report from the marts (moved into place on commit). The views
    export_parquet has just written from the same private copy (mart_bands, mart_demand_total)
    are read from its Parquet files (the same rows; recomputing mart_bands cost about 2 s CPU)."""
    paths = RunPaths(Path(out_dir), run_id)
    exported = paths.exports_tmp if paths.exports_tmp.exists() else None
    with paths.connect(read_only=True) as con:
        return str(render_report(con, run_id, paths.report_tmp, exports=exported))


@flow(name="chipcast-publish")
def publish(out_dir: str, run_id: str) -> list[dict[str, Any]]:
    """Prepare the run's marts, Parquet and report; returns the scenario comparison rows."""
    stage("building marts")
    comparison = build_marts(out_dir, run_id)
    # Sequential on purpose: run in a thread beside the report, the export made the report's
    # charts 3x slower (21.7 s against 6.5 s in pyinstrument profiles, bench/RESULTS.md).
    files = export_parquet(out_dir, run_id)
    stage(f"exported {len(files)} Parquet files")
    write_report(out_dir, run_id)
    stage("wrote the HTML report")
    return comparison
