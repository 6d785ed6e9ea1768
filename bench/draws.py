"""Benchmark (issue 13, target 3, the draws' share): per-draw cost of turning uniforms into the
base scenario's inputs (DrawPlan.transform: scipy's beta quantile vs the compiled PERT
quantile) and of folding a chunk's series into the streamed histograms (the two-pass
HistogramQuantiles.observe + count vs the one-pass OnePassHistogram.add), measured in one
run, best of --repeat. The model itself (simulate + series) is not timed here (bench/engine.py
does). Prints milliseconds a draw and, last, the ratio of the draws' share before / after.
With --before TREE (an exported copy of an older commit, e.g. `git archive fc2fe65 | tar -x -C
TREE`), also times that tree's DrawPlan.transform on the same uniforms in the same process
(wall and CPU), prints the ratio before / after and the largest difference of the values.
Usage:

    .venv/bin/python bench/draws.py [--draws 4096] [--repeat 3] [--before TREE]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.inputs import load_inputs  # noqa: E402
from chipcast.model.demand import simulate  # noqa: E402
from chipcast.model.params import parameters  # noqa: E402
from chipcast.model.structure import compile_structure  # noqa: E402
from chipcast.project import SHIPPED_DATA  # noqa: E402
from chipcast.uncertainty.montecarlo import draw_values, n_values  # noqa: E402
from chipcast.uncertainty.quantiles import HistogramQuantiles, OnePassHistogram  # noqa: E402
from chipcast.uncertainty.sampling import DrawPlan, draw_plan  # noqa: E402


def best(fn: Callable[[], object], repeat: int) -> float:
    """Shortest wall time of `repeat` calls (after one warm-up call: compilation)."""
    return best_cpu(fn, repeat=repeat)[0][0]


def best_cpu(*fns: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    """Per function, wall and CPU (process) time of its call with the shortest wall time, of
    `repeat` calls after one warm-up call; the functions' calls alternate, so a change of the
    machine's load hits them alike."""
    for fn in fns:
        fn()
    times: list[list[tuple[float, float]]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, mine in zip(fns, times, strict=True):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            mine.append((time.perf_counter() - t0, time.process_time() - c0))
    return [min(mine) for mine in times]


def before_plan(tree: Path, plan: DrawPlan) -> DrawPlan:
    """`plan` built by the sampling module of an older tree (its own file, loaded under
    another name; the rest of chipcast is this tree's)."""
    spec = importlib.util.spec_from_file_location(
        "chipcast_before_sampling", tree / "chipcast" / "uncertainty" / "sampling.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.DrawPlan(plan.params, plan.sampler, plan.seed, plan.spearman)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=4096)
    ap.add_argument("--chunk", type=int, default=512, help="draws of series folded at once")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--before", type=Path, help="an older tree whose transform to time too")
    args = ap.parse_args()
    inputs = load_inputs(SHIPPED_DATA, "base")
    params = parameters(inputs)
    plan = draw_plan(inputs, params)
    scipy_plan = DrawPlan(params, plan.sampler, plan.seed, plan.spearman, fast_ppf=False)
    u = next(plan.uniforms(args.draws, args.draws))
    t_scipy = best(lambda: scipy_plan.transform(u), args.repeat) / args.draws
    t_fast = best(lambda: plan.transform(u), args.repeat) / args.draws
    gap = np.abs(plan.transform(u) - scipy_plan.transform(u)).max(axis=0)
    width = np.abs(scipy_plan.transform(u)).max(axis=0)

    st = compile_structure(inputs)
    x = plan.transform(u[:args.chunk])
    values = draw_values(st, simulate(st, plan.paramset(x)), False,
                         np.empty((x.shape[0], n_values(st)), dtype=np.float32))[0]

    def two_pass() -> None:
        hist = HistogramQuantiles(values.shape[1])
        hist.observe(values)
        hist.count(values)

    one = OnePassHistogram(values.shape[1])
    one.add(values)  # the pilot
    t_two = best(two_pass, args.repeat) / values.shape[0]
    t_one = best(lambda: one.add(values), args.repeat) / values.shape[0]

    ms = 1e3
    print(f"base: {plan.dims} uncertain inputs ({plan._betas[0].size} PERT), "
          f"{values.shape[1]:,} series; nproc {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"transform a draw: scipy {t_scipy * ms:.3f} ms, compiled {t_fast * ms:.3f} ms "
          f"(x{t_scipy / t_fast:.1f}); largest gap / column's largest |value|: "
          f"{(gap / np.where(width > 0, width, 1)).max():.1e}")
    if args.before is not None:
        old = before_plan(args.before, plan)
        (wall0, cpu0), (wall1, cpu1) = best_cpu(lambda: old.transform(u),
                                                lambda: plan.transform(u), repeat=args.repeat)
        diff = np.abs(old.transform(u) - plan.transform(u)).max(axis=0)
        print(f"transform a draw, {args.before} -> this tree: wall {wall0 / args.draws * ms:.4f} "
              f"-> {wall1 / args.draws * ms:.4f} ms (x{wall0 / wall1:.2f}), CPU "
              f"{cpu0 / args.draws * ms:.4f} -> {cpu1 / args.draws * ms:.4f} ms "
              f"(x{cpu0 / cpu1:.2f}); largest difference / column's largest |value|: "
              f"{(diff / np.where(width > 0, width, 1)).max():.1e}")
    print(f"histograms a draw: two passes {t_two * ms:.3f} ms, one pass {t_one * ms:.3f} ms "
          f"(x{t_two / t_one:.1f})")
    before, after = t_scipy + t_two, t_fast + t_one
    print(f"draws' share a draw: {before * ms:.3f} ms -> {after * ms:.3f} ms; ratio "
          f"x{before / after:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
