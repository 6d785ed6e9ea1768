"""Publish flow: mark the run published in the private copy, build the BI marts, export
Parquet, render the report, then swap everything into place (see chipcast.publish for the
guarantees)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast import warehouse
from chipcast.publish import Publication
from flows.common import stage, transient_only


@task(cache_policy=NO_CACHE)
def build_marts(pub: Publication) -> list[dict[str, Any]]:
    """Close the run as 'published' in the private copy and (re)create the mart views;
    returns mart_scenario_comparison (one dict per scenario)."""
    warehouse.finish_run(pub.con, pub.run_id, "published")
    warehouse.create_marts(pub.con)
    return warehouse.scenario_comparison(pub.con)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def export_parquet(pub: Publication) -> list[Path]:
    """Write this run's Parquet exports to the private export folder."""
    return pub.export()


@task(cache_policy=NO_CACHE)
def write_report(pub: Publication) -> Path:
    """Render this run's HTML report from the marts (moved into place on commit)."""
    return pub.render_report()


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def swap_in(pub: Publication) -> Path:
    """Write the pinned-format file and replace the published outputs atomically."""
    return pub.commit()


@flow(name="chipcast-publish", validate_parameters=False)
def publish(pub: Publication) -> list[dict[str, Any]]:
    """Publish the run held by `pub`; returns the scenario comparison rows."""
    stage("building marts")
    comparison = build_marts(pub)
    files = export_parquet(pub)
    stage(f"exported {len(files)} Parquet files")
    write_report(pub)
    stage("wrote the HTML report")
    path = swap_in(pub)
    stage(f"published {path} (run {pub.run_id})")
    return comparison
