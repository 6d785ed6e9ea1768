"""Benchmark (issue 13, targets 1 and 3: what the streamed quantiles cost at least): the
histogram fold's CPU per value, in the case that costs least, and what that floor alone
implies for the default run and for a million draws of base.

The fold (chipcast.uncertainty.quantiles._fold_count) adds every value of every series to
that series' histogram: one bin increment and one float64 sum per value. Here it runs on
its cheapest case: one histogram (no calibrated pair), every series' running range already
holding its pilot range (every batch after the first), a block of FOLD_SERIES series x
--draws draws already transposed, values lognormal. Two variants are timed beside it, to
show where the time is not: the same loop with four series' sums advanced side by side (the
sum's add latency is not the bound), and numpy writing the block once (memory). The series
count comes from the base scenario's structure (chipcast.uncertainty.montecarlo.n_series),
the draws per run from the project defaults. Prints nanoseconds of CPU a value and, last,
the fold's floor in CPU seconds for the default run's and a million draws' values.
Usage:

    .venv/bin/python bench/fold_floor.py [--draws 4096] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timing import best  # noqa: E402

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.inputs.scenarios import available_scenarios  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.project import DEFAULT_DRAWS, SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty import quantiles as q  # noqa: E402
from chipcast.uncertainty.montecarlo import n_series  # noqa: E402


@numba.njit(parallel=True, cache=False)
def _side_by_side(values_t: np.ndarray, p_lo: np.ndarray, p_hi: np.ndarray,
                  scale: np.ndarray, counts: np.ndarray, total: np.ndarray) -> None:
    """The covered single loop over four series at a time (four independent sum chains)."""
    n, d_n = values_t.shape
    last = counts.shape[1] - 1
    for g in numba.prange(n // 4):
        j = 4 * g
        a0, a1, a2, a3 = total[j], total[j + 1], total[j + 2], total[j + 3]
        for d in range(d_n):
            x = np.float64(values_t[j, d])
            b = q._bin(x, p_lo[j], p_hi[j], scale[j], last)
            a0 += x
            if b >= 0:
                counts[j, b] += 1
            x = np.float64(values_t[j + 1, d])
            b = q._bin(x, p_lo[j + 1], p_hi[j + 1], scale[j + 1], last)
            a1 += x
            if b >= 0:
                counts[j + 1, b] += 1
            x = np.float64(values_t[j + 2, d])
            b = q._bin(x, p_lo[j + 2], p_hi[j + 2], scale[j + 2], last)
            a2 += x
            if b >= 0:
                counts[j + 2, b] += 1
            x = np.float64(values_t[j + 3, d])
            b = q._bin(x, p_lo[j + 3], p_hi[j + 3], scale[j + 3], last)
            a3 += x
            if b >= 0:
                counts[j + 3, b] += 1
        total[j], total[j + 1], total[j + 2], total[j + 3] = a0, a1, a2, a3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4096)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    n, d_n, bins = q.FOLD_SERIES, args.draws, q.DEFAULT_BINS
    rng = np.random.default_rng(1)
    values_t = rng.lognormal(0.0, 0.5, (n, d_n)).astype(np.float32)
    p_lo = values_t.min(axis=1).astype(float)
    p_hi = values_t.max(axis=1).astype(float)
    scale = bins / (p_hi - p_lo)
    keep = np.ones(d_n, dtype=np.bool_)
    counts = np.zeros((n, bins), dtype=np.uint32)
    under, over = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    lo, hi, total = p_lo - 1.0, p_hi + 1.0, np.zeros(n)  # running range holds the pilot's
    none_u = np.zeros((0, bins), dtype=np.uint32)
    none_i, none_f = np.zeros(0, dtype=np.int64), np.zeros(0)

    def fold() -> None:
        q._fold_count(values_t, p_lo, p_hi, scale, keep, counts, under, over, lo, hi, total,
                      keep, none_u, none_i, none_i, none_f, none_f, none_f)

    counts4, total4 = np.zeros_like(counts), np.zeros(n)
    out = np.empty_like(values_t)
    timed = {
        "fold, covered single (the package's)": fold,
        "four sums side by side": lambda: _side_by_side(values_t, p_lo, p_hi, scale, counts4,
                                                        total4),
        "numpy: write the block once": lambda: np.copyto(out, values_t),
    }
    values = n * d_n
    print(f"nproc {os.cpu_count()}, numba threads {numba.get_num_threads()}; a block of "
          f"{n:,} series x {d_n:,} draws, {bins:,} bins")
    per_value = {}
    for label, fn in timed.items():
        wall, cpu = best(fn, args.repeat, warm_up=True)
        per_value[label] = cpu / values * 1e9
        print(f"{label:40s} wall {wall * 1e3:7.1f} ms  CPU {cpu * 1e3:7.1f} ms  "
              f"{per_value[label]:.2f} ns CPU a value")

    base = n_series(compile_structure(load_inputs(SHIPPED_DATA, "base")))
    scenarios = len(available_scenarios(SHIPPED_DATA))
    ns = per_value["fold, covered single (the package's)"]
    run_values = base * DEFAULT_DRAWS * scenarios
    million = base * 1_000_000
    print(f"base: {base:,} series a draw; default run: {scenarios} scenarios x "
          f"{DEFAULT_DRAWS:,} draws (scenarios differ little in series count)")
    print(f"fold floor: default run {run_values * ns / 1e9:.1f} s CPU "
          f"({run_values * ns / 2e9:.1f} s on 2 cores); a million draws of base "
          f"{million * ns / 1e9:.1f} s CPU ({million * ns / 2e9:.1f} s on 2 cores)")


if __name__ == "__main__":
    main()
