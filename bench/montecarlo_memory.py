"""Benchmark: Monte Carlo memory and speed on the shipped base scenario (10 firms x 108 months).

Runs `forecast_quantiles` with 1,000,000 draws (streamed two-pass histogram quantiles) and
prints peak RSS (resource.getrusage), draws/s and the speed ratio of the vectorised model
against a per-draw Python loop on a small case, measured in this run. Exits 1 when peak RSS
exceeds the 2 GiB budget. Usage:

    .venv/bin/python bench/montecarlo_memory.py [--draws N] [--scenario base] [--loop-draws 128]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

# `make bench` runs this only with BENCH_MILLION=1: a million draws (~15 min today)
BENCH_FLAG = "BENCH_MILLION"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.model.demand import simulate  # noqa: E402
from chipcast.model.params import parameters  # noqa: E402
from chipcast.model.series import series_values  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.uncertainty import montecarlo as mc  # noqa: E402
from chipcast.uncertainty.sampling import draw_plan  # noqa: E402

BUDGET_BYTES = 2 * 2**30


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def loop_ratio(inputs, n: int) -> tuple[float, float]:
    """Seconds for n draws vectorised and in a per-draw loop (same draws)."""
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", 1)
    x = plan.draw_matrix(n)
    t0 = time.perf_counter()
    series_values(st, simulate(st, plan.paramset(x)), False)
    t1 = time.perf_counter()
    for i in range(n):
        series_values(st, simulate(st, plan.paramset(x[i:i + 1])), False)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1_000_000)
    ap.add_argument("--scenario", default="base")
    ap.add_argument("--data-dir", default=str(ROOT / "data"))
    ap.add_argument("--sampler", default="sobol")
    ap.add_argument("--loop-draws", type=int, default=128)
    args = ap.parse_args()

    inputs = load_inputs(Path(args.data_dir), args.scenario)
    n_firms, n_months = inputs.firms.height, compile_structure(inputs).months.size
    print(f"scenario {args.scenario}: {n_firms} firms x {n_months} months, "
          f"{args.draws:,} draws, sampler {args.sampler}")

    vec, loop = loop_ratio(inputs, args.loop_draws)
    print(f"vectorised vs per-draw loop, {args.loop_draws} draws: {vec:.3f}s vs {loop:.3f}s "
          f"= {loop / vec:.1f}x faster")

    t0 = time.perf_counter()
    out = mc.forecast_quantiles(inputs, draws=args.draws, seed=20231, sampler=args.sampler)
    secs = time.perf_counter() - t0
    rss = peak_rss_bytes()
    print(f"forecast_quantiles: {out.height:,} rows in {secs:.1f}s = "
          f"{args.draws / secs:,.0f} draws/s")
    print(f"peak RSS {rss / 2**30:.2f} GiB (budget {BUDGET_BYTES / 2**30:.0f} GiB): "
          f"{'ok' if rss <= BUDGET_BYTES else 'OVER BUDGET'}")
    return 0 if rss <= BUDGET_BYTES else 1


if __name__ == "__main__":
    sys.exit(main())
