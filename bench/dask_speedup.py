"""Benchmark: each scenario's Monte Carlo (scored against actuals.csv, calibrated where the
scenario calibrates) and its sensitivity, serially in one process vs. as tasks on a 2-worker
Dask LocalCluster (flows/simulate.py, what `chipcast run --dask local` runs: one task per
scenario, its sensitivity after it), measured in one run on this machine. Prints the wall
times, the speed-up ratio and whether the Dask results equal the serial ones (they must: exits
1 otherwise). Dask times include starting the cluster and Prefect's task bookkeeping; a
temporary Prefect server is started before timing. Usage:

    .venv/bin/python bench/dask_speedup.py [--scenarios base,bull,bear,export-controls-actual]
        [--draws 4096] [--sensitivity given|full] [--sensitivity-n 256]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

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
from flows.caching import cache_key, get  # noqa: E402
from flows.forecast import calibration, monte_carlo, sensitivity_frame  # noqa: E402
from flows.pipeline import LOCAL_WORKERS, dask_runner  # noqa: E402
from flows.simulate import simulate  # noqa: E402


@flow
def warm_up() -> None:
    """Starts the temporary Prefect server before anything is timed."""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", default="base,bull,bear,export-controls-actual")
    ap.add_argument("--draws", type=int, default=4096)
    ap.add_argument("--sensitivity", default="given", choices=("given", "full"))
    ap.add_argument("--sensitivity-n", type=int, default=256)
    ap.add_argument("--seed", type=int, default=20231)
    args = ap.parse_args()
    scenarios = args.scenarios.split(",")
    inputs = {s: load_inputs(SHIPPED_DATA, s) for s in scenarios}
    prints = {s: fingerprint(i.files) for s, i in inputs.items()}
    settings = {s: calibration(i, None, None) for s, i in inputs.items()}
    warm_up()

    t0 = time.perf_counter()
    serial = {}
    for s, i in inputs.items():
        mc = monte_carlo(i, args.draws, args.seed, "sobol", *settings[s])
        serial[s] = (mc, sensitivity_frame(i, mc, args.sensitivity, args.sensitivity_n,
                                           args.seed))
    t_serial = time.perf_counter() - t0

    cache = tempfile.mkdtemp(prefix="chipcast-bench-cache-")
    t0 = time.perf_counter()
    simulate.with_options(task_runner=dask_runner("local"))(
        str(SHIPPED_DATA), scenarios, prints, cache, args.draws, args.seed, "sobol",
        args.sensitivity, args.sensitivity_n)
    t_dask = time.perf_counter() - t0

    same = True
    for s, (mc, sens) in serial.items():
        cal, fit = settings[s]
        mc2 = get(cache, cache_key("montecarlo", s, prints[s], draws=args.draws,
                                   seed=args.seed, sampler="sobol", calibrate=cal,
                                   fit_until=fit))
        sens2 = get(cache, cache_key("sensitivity", s, prints[s], mode=args.sensitivity,
                                     n=args.sensitivity_n, seed=args.seed, draws=mc.draws,
                                     sampler="sobol"))
        same &= mc.quantiles.equals(mc2.quantiles) and sens.equals(sens2)
    print(f"scenarios: {', '.join(scenarios)}; {args.draws} draws and {args.sensitivity} "
          f"sensitivity each; {os.cpu_count()} cores")
    print(f"serial, one process:            {t_serial:7.1f} s")
    print(f"Dask LocalCluster, {LOCAL_WORKERS} workers:   {t_dask:7.1f} s (cluster start "
          "included)")
    print(f"speed-up: x{t_serial / t_dask:.2f}; results identical to serial: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
