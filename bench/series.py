"""Benchmark (issue 13, series extraction): a Monte Carlo chunk's series extraction and ParamSet
construction, this tree against an earlier commit, measured back to back in one run.

For one chunk of draws of a scenario (default: base, 512 draws: the Monte Carlo's streamed
chunk) it times, each the best of --repeat calls after a warm-up (numba loads or compiles):
- `montecarlo.draw_values` into a reused float32 buffer (every series and headline, as the
  Monte Carlo calls it), and within it
- `series.fleet_by_sku` (the compiled SKU pass, into the buffer's views as write_series does)
- `series.headlines` from write_series' SKU arrays (as draw_values calls it), and
- `DrawPlan.paramset` (the chunk's ParamSet from its input matrix).
The earlier commit (default fc2fe65, main before this work) is exported with `git archive`
into a temporary folder and run in a child process with the same code; the children
alternate (before, after, before, after) so that a neighbour's load hits both alike. Prints
each side's milliseconds (wall and this process's CPU), then the ratios before / after (CPU
first: fairer when other processes load the shared machine). Usage:

    .venv/bin/python bench/series.py [--before fc2fe65] [--scenario base] [--draws 512]
        [--repeat 20] [--rounds 2] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import timing  # bench/timing.py (this folder is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("draw_values", "fleet_by_sku", "headlines", "paramset")


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Wall and CPU milliseconds of the fastest of `repeat` calls, after one warm-up call."""
    wall, cpu = timing.best(fn, repeat, warm_up=True)
    return wall * 1e3, cpu * 1e3


def measure(scenario: str, draws: int, repeat: int) -> dict[str, tuple[float, float]]:
    """The timings of PARTS for the chipcast first on sys.path (a child process's tree)."""
    import numpy as np

    from chipcast.contracts import FLEET_METRICS
    from chipcast.inputs import load_inputs
    from chipcast.model import series
    from chipcast.model.demand import simulate
    from chipcast.model.params import parameters
    from chipcast.model.structure import compile_structure
    from chipcast.project import SHIPPED_DATA
    from chipcast.uncertainty import montecarlo as mc
    from chipcast.uncertainty.sampling import draw_plan

    inputs = load_inputs(SHIPPED_DATA, scenario)
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", 20231)
    x = plan.draw_matrix(draws)
    sim = simulate(st, plan.paramset(x))
    buffer = np.empty((draws, mc.n_values(st)), dtype=np.float32)
    _, _, by_sku = series.write_series(st, sim, False, buffer)
    n_v, n_m = len(st.supply.vendors), st.months.size
    by_vendor = {m: np.empty((draws, n_v, n_m), dtype=np.float32) for m in FLEET_METRICS}
    views = {m: by_sku[m] for m in FLEET_METRICS}
    before = np.empty((draws, n_m))
    return {
        "draw_values": best(lambda: mc.draw_values(st, sim, False, buffer), repeat),
        "fleet_by_sku": best(lambda: series.fleet_by_sku(st, sim, views, by_vendor, before),
                             repeat),
        "headlines": best(lambda: series.headlines(st, sim, by_sku), repeat),
        "paramset": best(lambda: plan.paramset(x), repeat),
    }


def child(tree: Path, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """Run `measure` in a fresh process with `tree` first on the path; its timings."""
    env = {**os.environ, "PYTHONPATH": str(tree), "NUMBA_NUM_THREADS": str(args.threads)}
    code = (f"import sys; sys.path.insert(0, {str(tree)!r}); sys.path.insert(1, "
            f"{str(ROOT / 'bench')!r}); import json, series as b, chipcast; "
            f"assert chipcast.__file__.startswith({str(tree)!r}), chipcast.__file__; "
            f"print(json.dumps(b.measure({args.scenario!r}, {args.draws}, {args.repeat})))")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout
    return {k: tuple(v) for k, v in json.loads(out.splitlines()[-1]).items()}  # type: ignore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="fc2fe65", help="the earlier commit to compare with")
    ap.add_argument("--scenario", default="base")
    ap.add_argument("--draws", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2, help="before/after pairs, best kept")
    ap.add_argument("--threads", type=int, default=2, help="NUMBA_NUM_THREADS of the children")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-series-") as tmp:
        old = Path(tmp)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        runs: dict[str, list[dict[str, tuple[float, float]]]] = {"before": [], "after": []}
        loads = []
        for _ in range(args.rounds):
            for side, tree in (("before", old), ("after", ROOT)):
                runs[side].append(child(tree, args))
                loads.append(os.getloadavg()[0])
    bests = {side: {p: (min(r[p][0] for r in rs), min(r[p][1] for r in rs)) for p in PARTS}
             for side, rs in runs.items()}
    print(f"scenario {args.scenario}, {args.draws} draws a chunk, numba threads {args.threads}, "
          f"nproc {os.cpu_count()}, load average {min(loads):.1f}-{max(loads):.1f}; "
          f"before = {args.before}, after = this tree; best of {args.repeat} x {args.rounds}")
    print(f"{'':14s} {'before wall':>11s} {'CPU ms':>8s} {'after wall':>11s} {'CPU ms':>8s} "
          f"{'x CPU':>6s} {'x wall':>7s} {'us/draw CPU':>12s}")
    for p in PARTS:
        (w0, c0), (w1, c1) = bests["before"][p], bests["after"][p]
        print(f"{p:14s} {w0:11.2f} {c0:8.2f} {w1:11.2f} {c1:8.2f} {c0 / c1:6.2f} "
              f"{w0 / w1:7.2f} {c0 * 1e3 / args.draws:6.1f}->{c1 * 1e3 / args.draws:.1f}")


if __name__ == "__main__":
    main()
