"""The parent flow `chipcast run` starts: ingest every scenario, forecast every scenario,
publish. It holds the run's publication (lock + private copy) and only chains the child flows,
which receive plain parameters, so a failure anywhere publishes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_SENSITIVITY_N, RunConfig
from chipcast.paths import DATA_DIR, FORECASTS_DIR
from chipcast.store import warehouse
from chipcast.store.publish import Publication
from chipcast.store.retention import keep_setting, prune
from flows.common import stage, transient_only
from flows.forecast import forecast
from flows.ingest import ingest
from flows.publish import publish


@dataclass(frozen=True)
class RunSummary:
    """What a published run produced: ids, row counts and where the outputs are."""

    run_id: str
    scenarios: tuple[str, ...]
    rows: dict[str, int]  # forecast rows per scenario
    database: Path
    exports: Path
    validation: Path
    report: Path
    comparison: list[dict[str, Any]] = field(default_factory=list)


@task(cache_policy=NO_CACHE)
def start_run(database: str, run_id: str, config: RunConfig, started_at: datetime) -> None:
    """Record the run (status 'running') in its private copy."""
    with duckdb.connect(database) as con:
        warehouse.start_run(con, run_id, config, started_at)


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def swap_in(pub: Publication) -> Path:
    """Write the pinned-format file and replace the published outputs atomically."""
    return pub.commit()


@task(cache_policy=NO_CACHE)
def prune_runs(out_dir: str, keep: int) -> None:
    """Apply the retention setting right after the publish, under the run's own lock. A failure
    only warns: the run is published already."""
    try:
        result = prune(Path(out_dir), keep, locked=True)
    except Exception as exc:  # noqa: BLE001 - retention must never fail a published run
        stage(f"warning: pruning old runs failed ({type(exc).__name__}: {exc}); run "
              "`chipcast prune --keep N` later")
        return
    if result.dropped or result.files_removed:
        stage(f"pruned {len(result.dropped)} old run(s), kept {len(result.kept)} "
              f"(CHIPCAST_KEEP_RUNS={keep})")


@flow(name="chipcast-pipeline")
def pipeline(
    scenarios: list[str] = ["base"],  # noqa: B006 - Prefect shows the default; never mutated
    data_dir: str = str(DATA_DIR),
    out_dir: str = str(FORECASTS_DIR),
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    sampler: str = "sobol",
    sensitivity_n: int = DEFAULT_SENSITIVITY_N,
    sensitivity: str = "given",
    calibrate: bool | None = None,
    fit_until: date | None = None,
    keep_runs: int | None = None,
) -> RunSummary:
    """Run the whole pipeline for the scenarios and publish one new run into out_dir; then
    keep only `keep_runs` published runs (default: the CHIPCAST_KEEP_RUNS setting; unset =
    keep all). `calibrate`/`fit_until` None: each scenario's own settings."""
    keep = keep_runs if keep_runs is not None else keep_setting()
    config = RunConfig(
        scenarios=tuple(scenarios), data_dir=Path(data_dir), out_dir=Path(out_dir),
        draws=draws, seed=seed, sampler=sampler, sensitivity_n=sensitivity_n,
        sensitivity=sensitivity, calibrate=calibrate, fit_until=fit_until,
    )
    meta = {"scenarios": list(config.scenarios), "config": config.to_json()}
    with Publication(config.out_dir, meta=meta) as pub:
        stage(f"run {pub.run_id}: scenarios {', '.join(config.scenarios)}")
        db, validation = str(pub.paths.work), str(pub.paths.validation)
        start_run(db, pub.run_id, config, pub.started_at)
        fingerprints = {s: ingest(db, pub.run_id, s, str(config.data_dir), validation)
                        for s in config.scenarios}
        rows = {s: forecast(db, pub.run_id, s, str(config.data_dir), validation,
                            fingerprints[s], config.draws, config.seed, config.sampler,
                            config.sensitivity, config.sensitivity_n, config.calibrate,
                            config.fit_until)
                for s in config.scenarios}
        comparison = publish(str(config.out_dir), pub.run_id)
        path = swap_in(pub)
        stage(f"published {path} (run {pub.run_id})")
        if keep is not None:
            prune_runs(str(config.out_dir), keep)
    return RunSummary(
        run_id=pub.run_id, scenarios=config.scenarios, rows=rows, database=pub.published,
        exports=pub.exports_dir, validation=pub.paths.validation, report=pub.report,
        comparison=comparison,
    )
