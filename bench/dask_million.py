"""Benchmark (issue 13, target 7): one scenario's streamed Monte Carlo of N draws (prior,
one-pass 2,048-bin histograms, chipcast.uncertainty.quantiles.OnePassHistogram) in one process
vs split into two ranges of draws on a 2-worker Dask LocalCluster, measured in one run.

Both count the same draws the same way: `count_range` evaluates draws [start, stop) chunk by
chunk (sampling.DrawPlan replays any range of a run exactly) and folds their series into a
histogram over the run's pilot range (the first chunk's min and max, computed first); the two
workers' histograms are merged (counts add), so the quantiles must be identical and the means
equal to rounding (exits 1 otherwise). One process uses numba's threads on both cores; each
worker is one process with one numba thread (no oversubscription). Dask time includes starting
the cluster, the pilot chunk, sending back two histograms (series x 2,048 x 4 bytes each) and
merging them. Prints the wall times and, last, the speed-up. Usage:

    .venv/bin/python bench/dask_million.py [--draws 262144] [--scenario base]
    BENCH_MILLION=1 .venv/bin/python bench/dask_million.py   # 1,000,000 draws
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from dask.distributed import Client, LocalCluster

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.model.demand import simulate  # noqa: E402
from chipcast.model.params import parameters  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty.montecarlo import default_chunk, draw_values, n_values  # noqa: E402
from chipcast.uncertainty.quantiles import OnePassHistogram  # noqa: E402
from chipcast.uncertainty.sampling import draw_plan  # noqa: E402

SEED = 20231
QS = (0.05, 0.1, 0.5, 0.9, 0.95)


def chunk_of(scenario: str) -> int:
    """Draws per chunk, as forecast_quantiles chooses them."""
    st = compile_structure(load_inputs(SHIPPED_DATA, scenario))
    return default_chunk(n_values(st), len(st.buyers), st.months.size)


def count_range(scenario: str, start: int, stop: int, chunk: int,
                pilot: np.ndarray | None) -> OnePassHistogram:
    """Draws [start, stop) of the run folded into a histogram over `pilot` ((2, n): the first
    chunk's min and max; None: this range's first chunk, i.e. the whole run from 0)."""
    inputs = load_inputs(SHIPPED_DATA, scenario)
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), seed=SEED)
    hist = OnePassHistogram(n_values(st), pilot=pilot)
    buffer = np.empty((chunk, n_values(st)), dtype=np.float32)
    for x in plan.matrices(stop, chunk, start):
        values = draw_values(st, simulate(st, plan.paramset(x)), False,
                             buffer[:x.shape[0]])[0]
        hist.add(values)
    return hist


def pilot_of(scenario: str, chunk: int) -> np.ndarray:
    """(2, n) min and max of each series over the run's first chunk."""
    first = count_range(scenario, 0, chunk, chunk, None)
    return np.stack([first.lo, first.hi])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=None, help="default 262,144")
    ap.add_argument("--scenario", default="base")
    args = ap.parse_args()
    draws = args.draws or (1_000_000 if os.environ.get("BENCH_MILLION") == "1" else 262_144)
    chunk = chunk_of(args.scenario)
    half = -(-draws // 2 // chunk) * chunk  # a range starts on a chunk boundary

    t0 = time.perf_counter()
    one = count_range(args.scenario, 0, draws, chunk, None)
    t_one = time.perf_counter() - t0

    # Workers inherit these at start: one numba / BLAS thread each on the 2 cores.
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = "1"

    t0 = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pilot = pilot_of(args.scenario, chunk)
        futures = [client.submit(count_range, args.scenario, a, b, chunk, pilot, pure=False)
                   for a, b in ((0, half), (half, draws))]
        parts = client.gather(futures)
    merged = parts[0]
    merged.merge(parts[1])
    t_dask = time.perf_counter() - t0

    outside = int(one.outside(QS).sum()) + int(merged.outside(QS).sum())
    if outside:
        print(f"{outside} series need a second pass: not compared")
        return 1
    same_q = np.array_equal(one.quantiles(QS), merged.quantiles(QS), equal_nan=True)
    close_mean = np.allclose(one.mean(), merged.mean(), rtol=1e-12, equal_nan=True)
    same_counts = np.array_equal(one.counts, merged.counts)
    print(f"{draws:,} draws of {args.scenario} (chunks of {chunk}; ranges [0, {half:,}) and "
          f"[{half:,}, {draws:,})); nproc {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"one process (numba on both cores):       {t_one:7.1f} s "
          f"({draws / t_one:,.0f} draws/s)")
    print(f"Dask LocalCluster, 2 workers x 1 thread:  {t_dask:7.1f} s (cluster start, pilot "
          "chunk and merge included)")
    print(f"counts identical: {same_counts}; quantiles identical: {same_q}; means within "
          f"1e-12: {close_mean}")
    print(f"speed-up: x{t_one / t_dask:.2f}")
    return 0 if same_q and close_mean and same_counts else 1


if __name__ == "__main__":
    sys.exit(main())
