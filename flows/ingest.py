"""Ingest flow: data/ -> typed polars frames -> input checks -> DuckDB staging tables.

Parameters are plain values (paths as text, run id, scenario), so the flow validates them, the
Prefect UI shows them and the flow runs alone on any DuckDB file. Nothing is staged unless the
scenario's inputs pass their checks; staging records each file's path, sha256 and load time in
`input_files`. Returns the inputs' fingerprint (sha256 over the files read), which the forecast
flow checks so that both read the same bytes.

Given a `cache_dir`, the input checks are cached on the fingerprint and the code version
(flows/caching.py): a re-run on unchanged files loads their report instead of running the
suites, and still records it and stages the rows under its own run id."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.checks import validate_inputs
from chipcast.checks.docs import render_pages, write_index
from chipcast.inputs import Inputs, load_inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.store import warehouse
from flows.caching import cached, key_fn
from flows.common import IO_RETRIES, IO_RETRY_DELAYS, stage, transient_only

if TYPE_CHECKING:
    from chipcast.checks import CheckReport


@task(retries=IO_RETRIES, retry_delay_seconds=IO_RETRY_DELAYS, retry_condition_fn=transient_only,
      cache_policy=NO_CACHE, task_run_name="read_inputs[{scenario}]")
def read_inputs(data_dir: str, scenario: str) -> Inputs:
    """Read and type every input table of a scenario (raises InputError on unreadable data)."""
    return load_inputs(Path(data_dir), scenario)


CHECK_KEY = key_fn("inputs-check")


@task(cache_policy=NO_CACHE, task_run_name="check_inputs[{scenario}]")
def check_inputs(inputs: Inputs, scenario: str, input_fingerprint: str) -> CheckReport:
    """Run the input data contracts (Great Expectations suites) on a scenario's tables (cached
    on scenario + input fingerprint + code version when given a cache folder)."""
    return validate_inputs(inputs)


@task(cache_policy=NO_CACHE)
def record_checks(database: str, run_id: str, report: CheckReport, json_path: str,
                  scenario: str | None = None) -> int:
    """Keep a check report of a scenario: rows in validation_results, the GX result JSON on
    disk and its Data Docs pages beside it (index.html of the run's folder). Returns the
    expectation rows written."""
    return record_reports(database, run_id, {json_path: report}, scenario)


def record_reports(database: str, run_id: str, reports: dict[str, CheckReport],
                   scenario: str | None = None) -> int:
    """record_checks' work for several reports of a scenario (json path -> report), with one
    warehouse connection and the folders' Data Docs index written once. Returns the
    expectation rows written."""
    folders: dict[Path, None] = {}
    for json_path, report in reports.items():
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        report.write_json(path)
        render_pages(path)
        folders[path.parent] = None
    for folder in folders:
        write_index(folder, f"Check results of run {run_id}")
    with duckdb.connect(database) as con:
        warehouse.create_schema(con)
        return sum(warehouse.write_validation(con, report.results_frame(run_id, scenario))
                   for report in reports.values())


@task(cache_policy=NO_CACHE, task_run_name="stage_tables[{scenario}]")
def stage_tables(database: str, run_id: str, scenario: str, inputs: Inputs) -> int:
    """Write the checked frames to stg_* tables and input_files; returns rows staged."""
    with duckdb.connect(database) as con:
        warehouse.create_schema(con)
        written = warehouse.stage_inputs(con, run_id, scenario, inputs, datetime.now(UTC))
    return sum(written.values())


@flow(name="chipcast-ingest")
def ingest(database: str, run_id: str, scenario: str, data_dir: str,
           validation_dir: str, cache_dir: str | None = None) -> str:
    """Read, check and stage one scenario's inputs into the DuckDB file `database`; raises
    CheckFailed if a check fails. Returns the inputs' fingerprint. `cache_dir`: where cached
    check reports live (None: always check)."""
    stage(f"[{scenario}] reading inputs from {data_dir}")
    inputs = read_inputs(data_dir, scenario)
    print_ = fingerprint(inputs.files)
    state = cached(check_inputs, cache_dir, CHECK_KEY)(inputs, scenario, print_, return_state=True)
    report = state.result()
    how = "loaded from the cache (inputs unchanged)" if state.name == "Cached" else "checked"
    stage(f"[{scenario}] {len(inputs.tables())} input tables {how}")
    record_checks(database, run_id, report,
                  str(Path(validation_dir) / f"inputs-{scenario}.json"), scenario)
    report.raise_for_failure()
    rows = stage_tables(database, run_id, scenario, inputs)
    stage(f"[{scenario}] staged {rows:,} input rows from {len(inputs.files)} files")
    return print_
