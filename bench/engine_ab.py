"""Benchmark: `simulate` of this tree against an older copy of the package, before/after ratio.

Each side runs in its own child process (process-wide settings such as chipcast.model's malloc
tuning differ between versions), alternately, `--rounds` times: a child imports the package
from its root, loads the scenario, draws `--draws` Sobol draws (seed 20231), calls `simulate`
once to warm up (numba loads or compiles its cache), then times `--repeat` calls. It reports
the best and the median of wall and CPU time (time.process_time: this process's threads) and
the median minor page faults of a call; the summary is the median over rounds of each side's
best CPU and wall, and their ratio. The older copy comes from `git archive`, e.g.

    git -C /work/main archive fc2fe65 | tar -x -C /tmp/main-fc2fe65
    .venv/bin/python bench/engine_ab.py --before /tmp/main-fc2fe65 [--threads 1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(root: str, scenario: str, draws: int, repeat: int) -> None:
    """Time `simulate` of the package at `root`; print one JSON line."""
    import resource
    import time

    sys.path.insert(0, root)
    from chipcast.inputs import load_inputs
    from chipcast.model.demand import simulate
    from chipcast.model.params import parameters
    from chipcast.model.structure import compile_structure
    from chipcast.project import SHIPPED_DATA
    from chipcast.uncertainty.sampling import draw_plan

    inputs = load_inputs(SHIPPED_DATA, scenario)
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", 20231)
    ps = plan.paramset(plan.draw_matrix(draws))
    simulate(st, ps)
    wall, cpu, faults = [], [], []
    for _ in range(repeat):
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0, c0 = time.perf_counter(), time.process_time()
        simulate(st, ps)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    print(json.dumps({"wall": min(wall), "cpu": min(cpu), "wall_median": statistics.median(wall),
                      "cpu_median": statistics.median(cpu),
                      "faults": statistics.median(faults)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="root of the older copy of the package (required)")
    ap.add_argument("--scenario", default="base")
    ap.add_argument("--draws", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="NUMBA_NUM_THREADS (0: numba's)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.scenario, args.draws, args.repeat)
        return
    if not args.before:
        ap.error("--before is required")
    env = dict(os.environ)
    if args.threads:
        env["NUMBA_NUM_THREADS"] = str(args.threads)
    sides = {"before": str(Path(args.before).resolve()), "after": str(ROOT)}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in sides}
    print(f"simulate, scenario {args.scenario}, {args.draws} draws, best of {args.repeat} calls "
          f"a round; nproc {os.cpu_count()}, numba threads {args.threads or 'default'}")
    print(f"{'round':>5s} {'side':6s} {'wall ms':>8s} {'CPU ms':>8s} {'wall med':>8s} "
          f"{'CPU med':>8s} {'faults':>7s} {'load':>5s}")
    for r in range(args.rounds):
        for side, root in sides.items():
            out = subprocess.run(
                [sys.executable, __file__, "--child", root, "--scenario", args.scenario,
                 "--draws", str(args.draws), "--repeat", str(args.repeat)],
                env=env, capture_output=True, text=True, check=True).stdout
            m = json.loads(out.strip().splitlines()[-1])
            runs[side].append(m)
            print(f"{r + 1:5d} {side:6s} {m['wall'] * 1e3:8.1f} {m['cpu'] * 1e3:8.1f} "
                  f"{m['wall_median'] * 1e3:8.1f} {m['cpu_median'] * 1e3:8.1f} "
                  f"{m['faults']:7.0f} {os.getloadavg()[0]:5.1f}", flush=True)
    med = {side: {k: statistics.median(m[k] for m in ms) for k in ("wall", "cpu")}
           for side, ms in runs.items()}
    print(f"median of the rounds' best: before wall {med['before']['wall'] * 1e3:.1f} ms, CPU "
          f"{med['before']['cpu'] * 1e3:.1f} ms; after wall {med['after']['wall'] * 1e3:.1f} ms,"
          f" CPU {med['after']['cpu'] * 1e3:.1f} ms")
    print(f"before / after: wall x{med['before']['wall'] / med['after']['wall']:.2f}, CPU "
          f"x{med['before']['cpu'] / med['after']['cpu']:.2f}")


if __name__ == "__main__":
    main()
