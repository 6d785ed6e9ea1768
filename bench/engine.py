"""Benchmark: the model engine against numpy's floor, measured in one run (issue 13, target 2).

For one chunk of draws of a scenario (default: base, 1,024 draws) it times, each the best of
`--repeat` runs after a warm-up (numba compiles or loads its cache first; the floor and the
bounds, bursts of a few ms that a memory-bound neighbour on a shared machine slows, the best
of at least 200):
- `simulate` (chipcast.model.demand), the model state for every draw;
- series extraction (`montecarlo.draw_values` into a reused float32 buffer, as the Monte Carlo
  does), every series and headline of every draw;
- exact quantiles of those values (`quantiles.exact_quantiles`) and one chunk of streamed
  histogram counting (`HistogramQuantiles.count`, 2,048 bins);
- the same two steps of the engine before issue 13 (tests/fixtures/engine_v0), for the
  speed-up;
- the floor: a numpy fused multiply-add writing one preallocated (draws, buyers, months)
  float64 array, a = b * 1.5 + c;
- two lower bounds of `simulate` under this floor's definition: writing (filling) arrays of
  the sizes of every Simulation field, and that plus the transcendental functions the
  compute mode cannot avoid (per draw, firm and month: exp of the Bass curve, exp of the API
  logistic, power of the intensity growth), by numpy's SIMD ufuncs (the fastest here).
Prints wall and CPU times (CPU: this process's threads only, fairer when other processes load
the machine), their ratios to the floor and, last, the target ratio simulate / floor (<= 15).
With --profile, prints pyinstrument's view of simulate + draw_values first. Usage:

    .venv/bin/python bench/engine.py [--scenario base] [--draws 1024] [--repeat 5] [--profile]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # engine_v0: the engine before issue 13

from engine_v0 import demand as demand_v0  # noqa: E402
from engine_v0 import draw_values as draw_values_v0  # noqa: E402
from timing import best  # noqa: E402  (bench/timing.py)

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.model.demand import simulate  # noqa: E402
from chipcast.model.params import parameters  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.uncertainty import montecarlo as mc  # noqa: E402
from chipcast.uncertainty.quantiles import HistogramQuantiles, exact_quantiles  # noqa: E402
from chipcast.uncertainty.sampling import draw_plan  # noqa: E402

TARGET = 15.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="base")
    ap.add_argument("--draws", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()

    inputs = load_inputs(ROOT / "data", args.scenario)
    st = compile_structure(inputs)
    plan = draw_plan(inputs, parameters(inputs), "sobol", 20231)
    ps = plan.paramset(plan.draw_matrix(args.draws))
    shape = (args.draws, len(st.buyers), st.months.size)
    buffer = np.empty((args.draws, mc.n_values(st)), dtype=np.float32)
    sim = simulate(st, ps)  # warm-up: numba loads its cache (or compiles once per machine)
    mc.draw_values(st, sim, False, buffer)

    if args.profile:
        from pyinstrument import Profiler  # bench-only dependency (the test extra)

        prof = Profiler(interval=0.0005)
        prof.start()
        for _ in range(3):
            mc.draw_values(st, simulate(st, ps), False, buffer)
        prof.stop()
        print(prof.output_text(unicode=False, color=False, show_all=False))

    rng = np.random.default_rng(0)
    a, b, c = np.empty(shape), rng.random(shape), rng.random(shape)

    def fma() -> None:
        np.multiply(b, 1.5, out=a)
        np.add(a, c, out=a)

    floor = best(fma, max(args.repeat, 200))
    fills = [np.empty(np.shape(getattr(sim, f.name))) for f in fields(sim)]
    firm_shape = (args.draws, len(st.firms), st.months.size)
    x, y = rng.random(firm_shape) - 1.0, np.empty(firm_shape)

    def write_outputs() -> None:
        for arr in fills:
            arr.fill(1.0)

    def write_and_transcendentals() -> None:
        write_outputs()
        np.exp(x, out=y)
        np.exp(x, out=y)
        np.power(1.5, x, out=y)

    t_write = best(write_outputs, max(args.repeat, 200))
    t_bound = best(write_and_transcendentals, max(args.repeat, 200))
    t_sim = best(lambda: simulate(st, ps), args.repeat)
    t_series = best(lambda: mc.draw_values(st, sim, False, buffer), args.repeat)
    t_exact = best(lambda: exact_quantiles(buffer), max(1, args.repeat // 2))
    hist = HistogramQuantiles(buffer.shape[1])
    hist.observe(buffer)
    t_hist = best(lambda: hist.count(buffer), args.repeat)

    t_sim0 = best(lambda: demand_v0.simulate(st, ps), max(1, args.repeat // 2))
    sim0 = demand_v0.simulate(st, ps)
    t_series0 = best(lambda: draw_values_v0(st, sim0), max(1, args.repeat // 2))

    load = os.getloadavg()[0]
    print(f"scenario {args.scenario}: {args.draws} draws x {len(st.buyers)} buyers x "
          f"{st.months.size} months; {plan.dims} uncertain inputs; {buffer.shape[1]:,} values "
          f"a draw; nproc {os.cpu_count()}, numba threads {numba.get_num_threads()}, "
          f"load average {load:.1f}")
    print(f"{'':38s} {'wall ms':>9s} {'x floor':>8s} {'CPU ms':>9s} {'x floor':>8s}")
    for name, (w, c) in [("floor: fused multiply-add", floor),
                         (f"bound: write the outputs ({sum(a.size for a in fills) / 1e6:.1f} M)",
                          t_write),
                         ("bound: + 2 exp + 1 power per firm-month", t_bound),
                         ("simulate", t_sim),
                         ("series extraction (float32 buffer)", t_series),
                         ("exact quantiles (5 levels)", t_exact),
                         ("histogram counting (2,048 bins)", t_hist)]:
        print(f"{name:38s} {w * 1e3:9.1f} {w / floor[0]:8.1f} {c * 1e3:9.1f} "
              f"{c / max(floor[1], 1e-9):8.1f}")
    for name, (w, c), (w0, c0) in [("simulate", t_sim, t_sim0),
                                   ("series extraction", t_series, t_series0)]:
        print(f"{name} before issue 13 (tests/fixtures/engine_v0): wall {w0 * 1e3:.1f} ms, "
              f"CPU {c0 * 1e3:.1f} ms; now x{w0 / w:.1f} wall, x{c0 / c:.1f} CPU faster")
    print(f"simulate / floor: wall {t_sim[0] / floor[0]:.1f}, CPU "
          f"{t_sim[1] / max(floor[1], 1e-9):.1f} (target <= {TARGET:g})")


if __name__ == "__main__":
    main()
