"""Benchmark: Monte Carlo and sensitivity serially in one process vs. as tasks on a 2-worker
Dask LocalCluster (flows/simulate.py, what `chipcast run --dask local` runs), measured in one
run on this machine, in two cases: (1) several scenarios, one task per study; (2) one large
study (streamed mode) split into ranges of draws over the workers. Prints the wall times, the
speed-up ratios and whether the Dask results equal the serial ones (they must: exits 1
otherwise). Dask times include starting the cluster and Prefect's task bookkeeping; a temporary
Prefect server is started before timing. Usage:

    .venv/bin/python bench/dask_speedup.py [--scenarios base,bull,bear,export-controls-actual]
        [--draws 4096] [--sensitivity-n 256] [--large-draws 16384]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# `make bench` runs this only with BENCH_DASK=1: four scenarios twice and a LocalCluster (~5 min)
BENCH_FLAG = "BENCH_DASK"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="chipcast-bench-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from prefect import flow  # noqa: E402

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.inputs.scenarios import fingerprint  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty.montecarlo import forecast_quantiles  # noqa: E402
from chipcast.uncertainty.sensitivity import sensitivity  # noqa: E402
from flows.caching import cache_key, store  # noqa: E402
from flows.pipeline import LOCAL_WORKERS, dask_runner  # noqa: E402
from flows.simulate import distributed_quantiles, simulate  # noqa: E402


@flow
def warm_up() -> None:
    """Starts the temporary Prefect server before anything is timed."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="base,bull,bear,export-controls-actual")
    ap.add_argument("--draws", type=int, default=4096)
    ap.add_argument("--sensitivity-n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=20231)
    ap.add_argument("--large-draws", type=int, default=16384)
    args = ap.parse_args()
    scenarios = args.scenarios.split(",")
    inputs = {s: load_inputs(SHIPPED_DATA, s) for s in scenarios}
    prints = {s: fingerprint(i.files) for s, i in inputs.items()}
    warm_up()

    t0 = time.perf_counter()
    serial = {s: (forecast_quantiles(i, draws=args.draws, seed=args.seed),
                  sensitivity(i, n=args.sensitivity_n, seed=args.seed))
              for s, i in inputs.items()}
    t_serial = time.perf_counter() - t0

    cache = tempfile.mkdtemp(prefix="chipcast-bench-cache-")
    t0 = time.perf_counter()
    simulate.with_options(task_runner=dask_runner("local"))(
        str(SHIPPED_DATA), scenarios, prints, cache, args.draws, args.seed, "sobol",
        args.sensitivity_n)
    t_dask = time.perf_counter() - t0

    results = store(cache)
    same = True
    for s, (q, sens) in serial.items():
        q2 = results.read(cache_key("montecarlo", s, prints[s], draws=args.draws,
                                    sampler="sobol", seed=args.seed)).result
        s2 = results.read(cache_key("sensitivity", s, prints[s], n=args.sensitivity_n,
                                    seed=args.seed)).result
        same &= q.equals(q2) and sens.equals(s2)
    print(f"scenarios: {', '.join(scenarios)}; {args.draws} draws and Sobol n "
          f"{args.sensitivity_n} each; {os.cpu_count()} cores")
    print(f"serial, one process:            {t_serial:7.1f} s")
    print(f"Dask LocalCluster, {LOCAL_WORKERS} workers:   {t_dask:7.1f} s (cluster start "
          "included)")
    print(f"speed-up: x{t_serial / t_dask:.2f}; results identical to serial: {same}")

    base = inputs[scenarios[0]]
    t0 = time.perf_counter()
    one = forecast_quantiles(base, draws=args.large_draws, seed=args.seed)
    t_one = time.perf_counter() - t0

    @flow(task_runner=dask_runner("local"))
    def large() -> object:
        return distributed_quantiles(base, args.large_draws, args.seed, "sobol",
                                     parts=LOCAL_WORKERS)

    t0 = time.perf_counter()
    split = large()
    t_split = time.perf_counter() - t0
    equal = one.equals(split)
    print(f"one study, {scenarios[0]}, {args.large_draws} draws (streamed), serial: "
          f"{t_one:7.1f} s")
    print(f"the same in {LOCAL_WORKERS} ranges on the LocalCluster:        {t_split:7.1f} s")
    print(f"speed-up: x{t_one / t_split:.2f}; results identical to serial: {equal}")
    return 0 if same and equal else 1


if __name__ == "__main__":
    sys.exit(main())
