"""Simulate flow: the Monte Carlo (with its back-test scores and calibration) and the
sensitivity of every scenario as tasks on a task runner that can scale out (prefect-dask's
DaskTaskRunner: `chipcast run --dask local|tcp://host:port`).

Each scenario's Monte Carlo is one task: a calibration must score every draw before its
calibrated pass, so a study is not split into ranges (the samplers can produce any range of
draws exactly, chipcast.uncertainty.sampling, for a future split of the prior pass). The
sensitivity of a scenario is one task after its Monte Carlo (the given-data indices read its
draws). The tasks receive the scenario's Inputs (not a path: a remote worker need not see the
project) and only compute; the flow body, in the main process, puts the results into the
project's cache under the keys the forecast flow's cached tasks use (flows/caching.py), so the
forecast flow then loads them, checks them and writes them. No task touches DuckDB.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from chipcast.inputs import Inputs, load_inputs
from chipcast.inputs.scenarios import fingerprint
from chipcast.uncertainty.montecarlo import MonteCarlo
from flows.caching import cache_key, get, is_cached, put
from flows.common import stage
from flows.forecast import calibration, monte_carlo, sensitivity_frame


@task(cache_policy=NO_CACHE)
def monte_carlo_task(inputs: Inputs, draws: int, seed: int, sampler: str, calibrate: bool,
                     fit_until: date | None) -> MonteCarlo:
    """One scenario's Monte Carlo (flows.forecast.monte_carlo)."""
    return monte_carlo(inputs, draws, seed, sampler, calibrate, fit_until)


@task(cache_policy=NO_CACHE)
def sensitivity_task(inputs: Inputs, mc: MonteCarlo, mode: str, n: int, seed: int
                     ) -> pl.DataFrame:
    """One scenario's sensitivity rows (flows.forecast.sensitivity_frame)."""
    return sensitivity_frame(inputs, mc, mode, n, seed)


@flow(name="chipcast-simulate")
def simulate(
    data_dir: str,
    scenarios: list[str],
    fingerprints: dict[str, str],
    cache_dir: str,
    draws: int,
    seed: int,
    sampler: str = "sobol",
    sensitivity: str = "given",
    sensitivity_n: int = 0,
    calibrate: bool | None = None,
    fit_until: date | None = None,
) -> dict[str, str]:
    """Compute the Monte Carlo (and sensitivity unless 'off') of every scenario not yet in the
    cache, all scenarios' tasks at once, and put the results into `cache_dir`. Returns, per
    scenario, 'computed' or 'cached'."""
    submitted = {}
    for s in scenarios:
        inputs = load_inputs(Path(data_dir), s)
        if fingerprint(inputs.files) != fingerprints[s]:
            raise RuntimeError(f"[{s}] the input files changed since they were checked")
        cal, fit = calibration(inputs, calibrate, fit_until)
        mc_key = cache_key("montecarlo", s, fingerprints[s], draws=draws, seed=seed,
                           sampler=sampler, calibrate=cal, fit_until=fit)
        if is_cached(cache_dir, mc_key):
            mc = get(cache_dir, mc_key)
        else:
            stage(f"[{s}] Monte Carlo on the task runner: {draws} draws")
            mc = monte_carlo_task.submit(inputs, draws, seed, sampler, cal, fit)
        submitted[s] = (inputs, mc_key, mc)
    computed = set()
    sens = {}
    for s, (inputs, mc_key, mc) in submitted.items():
        # the sensitivity task takes the Monte Carlo's future where there is one, so its
        # result stays with the workers instead of going back out from here (~90 MiB a
        # scenario at the default draws)
        source = mc
        if not isinstance(mc, MonteCarlo):
            mc = mc.result()
            put(cache_dir, mc_key, mc)
            computed.add(s)
        if sensitivity == "off":
            continue
        sens_key = cache_key("sensitivity", s, fingerprints[s], mode=sensitivity,
                             n=sensitivity_n, seed=seed, draws=mc.draws, sampler=sampler)
        if not is_cached(cache_dir, sens_key):
            sens[s] = (sens_key, sensitivity_task.submit(inputs, source, sensitivity,
                                                         sensitivity_n, seed))
    for s, (sens_key, future) in sens.items():
        put(cache_dir, sens_key, future.result())
        computed.add(s)
    return {s: "computed" if s in computed else "cached" for s in scenarios}
