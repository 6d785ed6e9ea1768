"""The parent flow `chipcast run` starts: ingest every scenario, (optionally) simulate every
scenario on Dask, forecast every scenario, publish, leave artifacts. It holds the run's
publication (lock + private copy) and only chains the steps of the flows ingest, forecast and
publish, which receive plain parameters, so a failure anywhere publishes nothing; its
on_failure hook records the failed run (runs.log when the publication could not, and a
markdown artifact).

Those three stay flows (each runs alone on plain parameters), but the pipeline calls their
bodies (`Flow.fn`), so their tasks are tasks of this flow run, named with their scenario
(`check_inputs[base]`): a child flow run cost ~1.2 s on the temporary server against ~30 ms a
task (bench/RESULTS.md; its heartbeat thread is joined at exit after a 1 s sleep, plus the
flow run's own state records), ~20 s for the 17 child flows of a default run, and none of them
had retries of its own. Not tags: a tagged task run asks the server for tag concurrency slots
first (~40 s over a default run's tasks in a profile). The Dask `simulate` flow stays a child
flow: it needs its own task runner.

The costly steps are cached in the project's `<out_dir>/.cache` (flows/caching.py): a run
whose inputs changed for some scenarios only loads the others' input checks, Monte Carlo and
sensitivity and publishes a new vintage under a new run id. A re-run with nothing changed
(settings, every scenario's input files and the code equal those of the latest published run,
flows.caching.run_key) publishes nothing: it records `"status": "unchanged"` with that run's id
in runs.log and answers with that run's summary, in about the time of Prefect's own start
(bench/RESULTS.md). `cache=False` computes everything and publishes a new vintage.

`dask`: None computes in this process; "local" starts a 2-worker LocalCluster; an address
(tcp://host:port) uses an existing cluster. Either way the workers only compute (Monte Carlo
ranges, sensitivity) and every DuckDB write stays in this process's tasks.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as current_flow_run

from chipcast.config import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    DEFAULT_SENSITIVITY_N,
    RunConfig,
    check_dask,
)
from chipcast.errors import ChipcastError
from chipcast.inputs import load_inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.project import SHIPPED_DATA
from chipcast.store import warehouse
from chipcast.store.publish import (
    Publication,
    RunPaths,
    append_runs_log,
    latest_run_id,
    open_publication,
    read_runs_log,
)
from chipcast.store.retention import keep_setting, prune
from flows.artifacts import failure_artifact, publish_artifacts
from flows.caching import cache_dir, run_key
from flows.common import IO_RETRIES, IO_RETRY_DELAYS, stage, transient_only
from flows.forecast import forecast
from flows.ingest import ingest
from flows.publish import publish
from flows.simulate import simulate

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

LOCAL_WORKERS = 2  # `--dask local`: one worker process per core of the 2-core machines


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
    artifacts: list[str] = field(default_factory=list)
    unchanged: bool = False  # nothing changed since run_id: this run published nothing


def dask_runner(dask: str) -> DaskTaskRunner:
    """The task runner of `--dask local` (a LocalCluster of 2 single-threaded worker
    processes, no dashboard) or `--dask ADDRESS` (an existing cluster)."""
    # Imported here for start-up speed: dask.distributed costs ~0.7 s and only `--dask` uses it.
    from prefect_dask import DaskTaskRunner

    check_dask(dask)
    # The cluster's start-up chatter (INFO) would bury the run's own lines on the terminal.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    if dask == "local":
        return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
            "n_workers": LOCAL_WORKERS, "threads_per_worker": 1, "processes": True,
            "dashboard_address": None, "silence_logs": logging.WARNING})
    return DaskTaskRunner(address=dask)


def dask_workers(dask: str) -> int:
    """How many worker threads the cluster has (LOCAL_WORKERS for `local`)."""
    if dask == "local":
        return LOCAL_WORKERS
    import distributed  # here for start-up speed (dask_runner)

    with distributed.Client(dask, timeout=30) as client:
        return max(1, sum(client.nthreads().values()))


@task(cache_policy=NO_CACHE)
def start_run(database: str, run_id: str, config_json: str, started_at: datetime) -> None:
    """Record the run (status 'running') in its private copy."""
    with duckdb.connect(database) as con:
        warehouse.start_run(con, run_id, RunConfig.from_json(config_json), started_at)


@task(retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=transient_only,
      cache_policy=NO_CACHE)
def swap_in(out_dir: str, run_id: str) -> str:
    """Write the pinned-format file and replace the published outputs atomically (the run's
    open Publication in this process does it)."""
    return str(open_publication(run_id).commit())


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


def unchanged_run(config: RunConfig, key: str, flow_run_id: Any) -> RunSummary | None:
    """The summary of the latest published run when it was made with the same run key (same
    settings, inputs and code), after recording this run as 'unchanged' in runs.log; None when
    anything differs or the published outputs are not all there."""
    out = config.out_dir
    published = [r for r in read_runs_log(out) if r.get("status") == "published"]
    latest = latest_run_id(out)
    if not published or published[-1].get("run_id") != latest or published[-1].get(
            "run_key") != key:
        return None
    paths = RunPaths(out, latest)
    if not (paths.published.exists() and paths.report.exists() and paths.exports_dir.is_dir()):
        return None
    with duckdb.connect(str(paths.published), read_only=True) as con:
        rows = dict(con.execute(warehouse.sql("warehouse/run_scenario_rows"),
                                {"run_id": latest}).fetchall())
        comparison = warehouse.scenario_comparison(con)
    if set(rows) != set(config.scenarios):
        return None
    append_runs_log(out, {"run_id": latest, "flow_run_id": str(flow_run_id),
                          "status": "unchanged", "run_key": key,
                          "finished_at": datetime.now().astimezone().isoformat(),
                          "scenarios": list(config.scenarios)})
    stage(f"inputs, settings and code unchanged since run {latest}: nothing new to publish "
          "(recorded as unchanged in runs.log; --no-cache computes and publishes a new run)")
    return RunSummary(run_id=latest, scenarios=config.scenarios, rows=rows,
                      database=paths.published, exports=paths.exports_dir,
                      validation=paths.validation, report=paths.report, comparison=comparison,
                      unchanged=True)


def record_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """on_failure hook: a markdown artifact saying what failed, and a runs.log record when the
    run failed before its publication could write one (e.g. the lock was held)."""
    params = dict(flow_run.parameters or {})
    message = str(state.message or "")
    try:
        failure_artifact(flow_run.id, flow_run.name, params, message)
    finally:
        out_dir = params.get("out_dir")
        if out_dir and Path(out_dir).is_dir():
            ids = {r.get("flow_run_id") for r in read_runs_log(Path(out_dir))}
            if str(flow_run.id) not in ids:
                append_runs_log(Path(out_dir), {
                    "run_id": None, "flow_run_id": str(flow_run.id), "status": "failed",
                    "finished_at": datetime.now().astimezone().isoformat(),
                    "error": message, "scenarios": params.get("scenarios")})


@flow(name="chipcast-pipeline", on_failure=[record_failure])
def pipeline(
    scenarios: list[str] = ["base"],  # noqa: B006 - Prefect shows the default; never mutated
    data_dir: str = str(SHIPPED_DATA),
    out_dir: str = "forecasts",
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    sampler: str = "sobol",
    sensitivity_n: int = DEFAULT_SENSITIVITY_N,
    sensitivity: str = "given",
    calibrate: bool | None = None,
    fit_until: date | None = None,
    keep_runs: int | None = None,
    dask: str | None = None,
    wait: float = 0.0,
    cache: bool = True,
) -> RunSummary:
    """Run the whole pipeline for the scenarios and publish one new run into out_dir; then
    keep only `keep_runs` published runs (default: the CHIPCAST_KEEP_RUNS setting; unset =
    keep all).

    `calibrate`/`fit_until` None: each scenario's own settings. `dask`: where the Monte Carlo
    and sensitivity run (module docstring); `wait`: seconds to wait for another run's lock;
    `cache`: use and fill `<out_dir>/.cache`, and publish nothing when settings, inputs and
    code are those of the latest published run (module docstring); False: compute everything
    and publish."""
    keep = keep_runs if keep_runs is not None else keep_setting()
    config = RunConfig(
        scenarios=tuple(scenarios), data_dir=Path(data_dir), out_dir=Path(out_dir),
        draws=draws, seed=seed, sampler=sampler, sensitivity_n=sensitivity_n,
        sensitivity=sensitivity, calibrate=calibrate, fit_until=fit_until,
    )
    check_dask(dask)
    meta = {"scenarios": list(config.scenarios), "config": config.to_json(),
            "flow_run_id": current_flow_run.id}
    if cache:
        # Reading the inputs to fingerprint them takes well under a second for every shipped
        # scenario; an unreadable input is left to the ingest flow to report as usual.
        try:
            prints = {s: fingerprint(load_inputs(config.data_dir, s).files)
                      for s in config.scenarios}
        except ChipcastError:
            prints = None
        if prints is not None:
            meta["run_key"] = run_key(config.to_json(), prints)
            same = unchanged_run(config, meta["run_key"], current_flow_run.id)
            if same is not None:
                return same
    with Publication(config.out_dir, meta=meta, wait=wait) as pub:
        stage(f"run {pub.run_id}: scenarios {', '.join(config.scenarios)}")
        db, validation = str(pub.paths.work), str(pub.paths.validation)
        cached = str(cache_dir(config.out_dir)) if cache else None
        start_run(db, pub.run_id, config.to_json(), pub.started_at)
        fingerprints = {s: ingest.fn(db, pub.run_id, s, str(config.data_dir), validation,
                                     cached)
                        for s in config.scenarios}
        # The Dask results reach the forecast flows through a cache folder: the project's, or
        # with the cache off a private one of this run, removed at the end.
        handoff = cached
        if dask is not None and config.draws > 0:
            handoff = cached or str(config.out_dir / f".handoff-{pub.run_id}")
            stage(f"Monte Carlo and sensitivity of {len(config.scenarios)} scenarios on Dask "
                  f"({dask})")
            simulate.with_options(task_runner=dask_runner(dask))(
                str(config.data_dir), list(config.scenarios), fingerprints, handoff,
                config.draws, config.seed, config.sampler, config.sensitivity,
                config.sensitivity_n, config.calibrate, config.fit_until)
        try:
            rows = {s: forecast.fn(db, pub.run_id, s, str(config.data_dir), validation,
                                   fingerprints[s], config.draws, config.seed, config.sampler,
                                   config.sensitivity, config.sensitivity_n, config.calibrate,
                                   config.fit_until, handoff)
                    for s in config.scenarios}
        finally:
            if handoff is not None and handoff != cached:
                shutil.rmtree(handoff, ignore_errors=True)
        comparison = publish.fn(str(config.out_dir), pub.run_id)
        path = swap_in(str(config.out_dir), pub.run_id)
        stage(f"published {path} (run {pub.run_id})")
        settings = (f"{config.draws:,} Monte Carlo draws ({config.sampler}, seed {config.seed})"
                    if config.draws else "Deterministic only (no Monte Carlo).")
        artifacts = publish_artifacts(str(config.out_dir), pub.run_id, list(config.scenarios),
                                      settings, comparison, str(pub.report))
        if keep is not None:
            prune_runs(str(config.out_dir), keep)
    return RunSummary(
        run_id=pub.run_id, scenarios=config.scenarios, rows=rows, database=pub.published,
        exports=pub.exports_dir, validation=pub.paths.validation, report=pub.report,
        comparison=comparison, artifacts=artifacts,
    )
