"""Benchmark: a million Monte Carlo draws of base in a minute with at most 2 GiB (issue 13,
target 3), measured from outside the process.

The parent starts a child process running `forecast_quantiles` (streamed: one pass over the
draws into 2,048-bin histograms over the first chunk's range, a second only for the series whose
quantiles fall outside it; |error| <= (max - min) / 2048 per series) and samples the child's
resident memory with psutil every 0.1 s; it prints the child's wall time, draws/s, the peak RSS
and, last, the ratios to the targets (time / 60 s, peak RSS / 2 GiB; <= 1 meets them). Not part
of the default `make bench` (which runs every bench/*.py): without BENCH_MILLION=1 and without
--draws it prints that it was skipped and exits 0. Usage:

    BENCH_MILLION=1 .venv/bin/python bench/million.py
    .venv/bin/python bench/million.py --draws 65536 [--scenario base]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 60.0
BUDGET = 2 * 2**30


def child(draws: int, scenario: str) -> None:
    """The measured process: one streamed Monte Carlo, its wall time on stdout."""
    sys.path.insert(0, str(ROOT))
    from chipcast.inputs import load_inputs
    from chipcast.uncertainty.montecarlo import forecast_quantiles

    inputs = load_inputs(ROOT / "data", scenario)
    passes: set[int] = set()

    def progress(done: int, total: int) -> None:
        passes.add(total)  # the total grows by a pass's chunks when a second pass starts

    t0 = time.perf_counter()
    out = forecast_quantiles(inputs, draws=draws, seed=20231, progress=progress)
    print(f"seconds {time.perf_counter() - t0:.2f} rows {out.height} passes {len(passes)}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=None, help="default 1,000,000")
    ap.add_argument("--scenario", default="base")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.draws, args.scenario)
        return
    if args.draws is None:
        if os.environ.get("BENCH_MILLION") != "1":
            print("million.py skipped (about 15 minutes on a loaded 2-core machine): set "
                  "BENCH_MILLION=1 or pass --draws")
            return
        args.draws = 1_000_000
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", "--draws", str(args.draws),
                             "--scenario", args.scenario], stdout=subprocess.PIPE, text=True)
    watch = psutil.Process(proc.pid)
    peak, loads = 0, []
    while proc.poll() is None:
        try:
            peak = max(peak, watch.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        loads.append(os.getloadavg()[0])
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    stdout = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        sys.exit(f"the child failed (exit {proc.returncode})")
    words = stdout.split()
    seconds, passes = float(words[1]), int(words[5])
    print(f"{args.draws:,} draws of {args.scenario}, streamed ({passes} pass"
          f"{'es' if passes > 1 else ''}, 2,048 bins); nproc "
          f"{os.cpu_count()}, load average {min(loads, default=0):.1f}-"
          f"{max(loads, default=0):.1f} during the run")
    print(f"Monte Carlo {seconds:.1f} s ({args.draws / seconds:,.0f} draws/s); child process "
          f"{wall:.1f} s with start-up; peak RSS {peak / 2**30:.2f} GiB")
    print(f"time / 60 s: {seconds / TARGET_S:.2f}; peak RSS / 2 GiB: {peak / BUDGET:.2f}")


if __name__ == "__main__":
    main()
