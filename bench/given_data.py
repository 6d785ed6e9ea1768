"""Benchmark (issue 13, speed): the given-data sensitivity (chipcast.uncertainty.sensitivity.
given_data: binned S1 with its bootstrap half-widths, PAWN for the top inputs) against the code
it replaced (tests/fixtures/given_data_reference.py: a stable argsort per bootstrap resample,
SALib's pawn.analyze), on the Monte Carlo's kept sample of each scenario.

Per scenario: run_monte_carlo once at `--draws` keeping `--sample` draws (default: the draws the
run keeps, chipcast.uncertainty.montecarlo.SAMPLE_DRAWS; `--sample 0` keeps every draw), or
load the sample from `--cache` (an .npz per scenario x draws x sample, written on first use);
then, in this one process and alternately, the reference and the new given_data `--repeats`
times each: best wall and CPU seconds (time.process_time) of each, their ratio, and whether the
two frames are equal (polars DataFrame.equals: s1, s1_conf and pawn to the bit). Exit code 1 if
any frame differs. Usage:

    .venv/bin/python bench/given_data.py [--scenario base ...|--all] [--draws 32768]
        [--sample 0] [--repeats 3] [--cache /tmp/given_data]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # the reference: the previous code

import given_data_reference as reference  # noqa: E402

from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED  # noqa: E402
from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.inputs.scenarios import available_scenarios  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty import montecarlo, sensitivity  # noqa: E402


def sample(scenario: str, draws: int, keep: int, cache: Path | None
           ) -> tuple[np.ndarray, list[str], np.ndarray]:
    """The Monte Carlo's kept inputs (n, d), their ids and headlines (n, H) for a scenario."""
    path = cache / f"{scenario}_{draws}_{keep}.npz" if cache else None
    if path is not None and path.exists():
        f = np.load(path)
        return f["x"], [str(i) for i in f["ids"]], f["y"]
    montecarlo.SAMPLE_DRAWS = keep  # read at run time by run_monte_carlo: how many it keeps
    start = time.perf_counter()
    mc = montecarlo.run_monte_carlo(load_inputs(SHIPPED_DATA, scenario), draws, DEFAULT_SEED)
    print(f"{scenario}: Monte Carlo of {draws:,} draws in {time.perf_counter() - start:.0f} s",
          flush=True)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, x=mc.inputs, ids=np.array(mc.input_ids), y=mc.headlines)
    return mc.inputs, list(mc.input_ids), mc.headlines


def timed(fn, *args) -> tuple[object, float, float]:  # noqa: ANN001 - a bench helper
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append")
    parser.add_argument("--all", action="store_true", help="every shipped scenario")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS)
    parser.add_argument("--sample", type=int, default=montecarlo.SAMPLE_DRAWS,
                        help="draws kept for the indices (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    names = (available_scenarios(SHIPPED_DATA) if args.all else args.scenario or ["base"])
    keep = args.sample or args.draws
    # compile (or load numba's cache) and import SALib before any timing
    x, ids, y = sample(names[0], args.draws, keep, args.cache)
    sensitivity.given_data("warm", x[:256], ids, y[:256], DEFAULT_SEED)
    reference.given_data("warm", x[:256], ids, y[:256], DEFAULT_SEED)
    print(f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}; {args.draws:,} "
          f"draws, indices on {keep:,} kept; best of {args.repeats}")
    print(f"{'scenario':24s} {'n x d':>12s} {'before wall':>11s} {'cpu':>7s} "
          f"{'after wall':>10s} {'cpu':>7s} {'ratio wall':>10s} {'cpu':>6s}  equal")
    totals = np.zeros(4)
    all_equal = True
    for name in names:
        x, ids, y = sample(name, args.draws, keep, args.cache)
        before, after = [], []
        for _ in range(args.repeats):
            want, *t_ref = timed(reference.given_data, name, x, ids, y, DEFAULT_SEED)
            got, *t_new = timed(sensitivity.given_data, name, x, ids, y, DEFAULT_SEED)
            before.append(t_ref)
            after.append(t_new)
        equal = got.equals(want)  # type: ignore[attr-defined]
        all_equal &= equal
        b, a = np.min(before, axis=0), np.min(after, axis=0)
        totals += [b[0], b[1], a[0], a[1]]
        print(f"{name:24s} {x.shape[0]:>6d} x {x.shape[1]:<3d} {b[0]:10.2f}s {b[1]:6.2f}s "
              f"{a[0]:9.2f}s {a[1]:6.2f}s {b[0] / a[0]:9.1f}x {b[1] / a[1]:5.1f}x  {equal}",
              flush=True)
    print(f"{'total':24s} {'':12s} {totals[0]:10.2f}s {totals[1]:6.2f}s {totals[2]:9.2f}s "
          f"{totals[3]:6.2f}s {totals[0] / totals[2]:9.1f}x {totals[1] / totals[3]:5.1f}x  "
          f"{all_equal}; load average {os.getloadavg()[0]:.2f}")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
