"""Simulate flow: the Monte Carlo and sensitivity of every scenario as tasks on a task runner
that can scale out (prefect-dask's DaskTaskRunner: `chipcast run --dask local|tcp://host:port`).

Each scenario's Monte Carlo is one task when there are at least as many studies as workers
(a range's raw values are as large as the study's result is small, so splitting only pays when
workers would otherwise idle); with fewer studies than workers, a study is split into contiguous
ranges of whole chunks of draws
(chipcast.uncertainty.montecarlo.Study.ranges); the samplers produce any range's draws exactly
and the ranges' partial results are merged in draw order, so the quantiles are identical to a
single process's (exact mode: the values are concatenated; streamed mode: pass 1 minima, maxima
and chunk sums, then pass 2 bin counts on the shared bins). The sensitivity of a scenario is one
task.

The tasks receive the scenario's Inputs (not a path: a remote worker need not see the project)
and only compute; the flow body, in the main process, merges the results and puts them into
the project's cache under the keys the forecast flow's cached tasks use (flows/caching.py), so
the forecast flow then loads them, checks them and writes them. No task touches DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.inputs import Inputs, load_inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.uncertainty.montecarlo import Bounds, Study, study
from chipcast.uncertainty.sensitivity import sensitivity as sensitivity_rows
from flows.caching import cache_key, is_cached, put
from flows.common import stage


def auto_parts(workers: int, studies: int) -> int:
    """Ranges per Monte Carlo study so that every worker has one: 1 when the studies alone
    keep the workers busy."""
    return max(1, -(-workers // max(studies, 1)))


# A worker keeps the studies it set up (structure and draw plan), keyed by what defines them,
# so the ranges of one study that land on the same worker compile its structure once.
_STUDIES: dict[tuple[Any, ...], Study | pl.DataFrame] = {}


def _study(inputs: Inputs, draws: int, seed: int, sampler: str, chunk: int | None
           ) -> Study | pl.DataFrame:
    key = (fingerprint(inputs.files), draws, seed, sampler, chunk)
    if key not in _STUDIES:
        if len(_STUDIES) > 16:  # a long-lived worker must not keep every study it ever saw
            _STUDIES.clear()
        _STUDIES[key] = study(inputs, draws, seed, sampler, chunk)
    return _STUDIES[key]


@task(cache_policy=NO_CACHE)
def mc_values(inputs: Inputs, draws: int, seed: int, sampler: str, chunk: int, start: int,
              stop: int) -> np.ndarray:
    """Exact mode: series values of draws [start, stop), (stop - start, series)."""
    plan = _study(inputs, draws, seed, sampler, chunk)
    assert isinstance(plan, Study)
    return plan.values(start, stop)


@task(cache_policy=NO_CACHE)
def mc_bounds(inputs: Inputs, draws: int, seed: int, sampler: str, chunk: int, start: int,
              stop: int) -> Bounds:
    """Streamed mode, pass 1 over draws [start, stop)."""
    plan = _study(inputs, draws, seed, sampler, chunk)
    assert isinstance(plan, Study)
    return plan.bounds(start, stop)


@task(cache_policy=NO_CACHE)
def mc_counts(inputs: Inputs, draws: int, seed: int, sampler: str, chunk: int, start: int,
              stop: int, bounds: list[Bounds]) -> np.ndarray:
    """Streamed mode, pass 2 over draws [start, stop): bin counts on the merged bins."""
    plan = _study(inputs, draws, seed, sampler, chunk)
    assert isinstance(plan, Study)
    return plan.counts(start, stop, bounds)


@task(cache_policy=NO_CACHE)
def sensitivity_task(inputs: Inputs, n: int, seed: int) -> pl.DataFrame:
    """Tornado and Sobol rows of one scenario (chipcast.uncertainty.sensitivity)."""
    return sensitivity_rows(inputs, n=n, seed=seed)


def submit_quantiles(inputs: Inputs, draws: int, seed: int, sampler: str,
                     parts: int = 1, chunk: int | None = None,
                     exact_bytes: int | None = None) -> Callable[[], pl.DataFrame]:
    """Submit one scenario's Monte Carlo as `parts` range tasks to the flow's task runner (call
    inside a flow); the returned function waits for them and merges the frame, equal to
    forecast_quantiles with the same arguments. Submitting every scenario before waiting
    keeps all workers busy."""
    extra = {} if exact_bytes is None else {"exact_bytes": exact_bytes}
    plan = study(inputs, draws, seed, sampler, chunk, **extra)
    if isinstance(plan, pl.DataFrame):
        return lambda: plan
    ranges = plan.ranges(parts)
    args = (inputs, draws, seed, sampler, plan.chunk)
    if plan.exact:
        futures = [mc_values.submit(*args, a, b) for a, b in ranges]
        return lambda: plan.from_values([f.result() for f in futures])
    first = [mc_bounds.submit(*args, a, b) for a, b in ranges]

    def finish() -> pl.DataFrame:
        bounds = [f.result() for f in first]
        second = [mc_counts.submit(*args, a, b, bounds) for a, b in ranges]
        return plan.from_histogram(bounds, [f.result() for f in second])

    return finish


def distributed_quantiles(inputs: Inputs, draws: int, seed: int, sampler: str,
                          parts: int = 1, chunk: int | None = None,
                          exact_bytes: int | None = None) -> pl.DataFrame:
    """One scenario's Monte Carlo frame from range tasks (see submit_quantiles)."""
    return submit_quantiles(inputs, draws, seed, sampler, parts, chunk, exact_bytes)()


@flow(name="chipcast-simulate")
def simulate(
    data_dir: str,
    scenarios: list[str],
    fingerprints: dict[str, str],
    cache_dir: str,
    draws: int,
    seed: int,
    sampler: str = "sobol",
    sensitivity_n: int = 0,
    workers: int = 2,
    parts: int | None = None,
) -> dict[str, str]:
    """Compute the Monte Carlo (and sensitivity, n > 0) of every scenario not yet in the cache,
    all scenarios' tasks at once, and put the results into `cache_dir`. `workers`: the
    cluster's worker count; `parts`: ranges per study (default auto_parts). Returns, per
    scenario, 'computed' or 'cached'."""
    todo: dict[str, tuple[Inputs, bool, bool]] = {}
    for s in scenarios:
        mc_key = cache_key("montecarlo", s, fingerprints[s], draws=draws, sampler=sampler,
                           seed=seed)
        sens_key = cache_key("sensitivity", s, fingerprints[s], n=sensitivity_n, seed=seed)
        need_mc = not is_cached(cache_dir, mc_key)
        need_sens = sensitivity_n > 0 and not is_cached(cache_dir, sens_key)
        if need_mc or need_sens:
            inputs = load_inputs(Path(data_dir), s)
            if fingerprint(inputs.files) != fingerprints[s]:
                raise RuntimeError(f"[{s}] the input files changed since they were checked")
            todo[s] = (inputs, need_mc, need_sens)
    # Sensitivity tasks first: each is one long task, the ranges fill the workers around them.
    sens = {s: sensitivity_task.submit(inp, sensitivity_n, seed)
            for s, (inp, _, need) in todo.items() if need}
    pending = {}
    parts = parts or auto_parts(workers, sum(need for _, need, _ in todo.values()))
    for s, (inputs, need_mc, _) in todo.items():
        if need_mc:
            stage(f"[{s}] Monte Carlo on the task runner: {draws} draws in up to {parts} "
                  "ranges")
            pending[s] = submit_quantiles(inputs, draws, seed, sampler, parts)
    for s, finish in pending.items():
        put(cache_dir, cache_key("montecarlo", s, fingerprints[s], draws=draws,
                                 sampler=sampler, seed=seed), finish())
    for s, future in sens.items():
        put(cache_dir, cache_key("sensitivity", s, fingerprints[s], n=sensitivity_n,
                                 seed=seed), future.result())
    return {s: "computed" if s in todo else "cached" for s in scenarios}
