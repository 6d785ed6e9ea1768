"""Benchmark (issue 13, targets 1 and 6): the default `chipcast run` against the orchestration
floor, and a cached re-run against the same floor.

- Floor: a fresh process importing prefect, great_expectations, duckdb, polars and scipy and
  running one empty flow. Like `chipcast run` it has no PREFECT_API_URL, so Prefect starts its
  temporary local server (the same settings chipcast.cli.main sets: startup timeout 120 s,
  analytics off).
- Default run: `chipcast run` (every shipped scenario, default draws and sensitivity) in a fresh
  copy of the shipped project (`chipcast init`), its cache empty.
- Cached re-run: `chipcast run` again in the second project, inputs unchanged.

Floor and default run are measured in turn, two runs each (wall clock from outside; peak RSS
and CPU time (user + system) of the run's own process from os.wait4; the machine's load
average is printed before each measurement, since other work on a shared machine slows a run
while its CPU time moves less). Each default run is instrumented in its process: the time
inside the model maths (chipcast.model.demand.simulate wherever it is called, the Monte
Carlo's draw_values, the draws' transform, exact/weighted quantiles; outermost call counted
only) and inside the whole Monte Carlo engine (run_monte_carlo), and the number of simulate
calls and draws (sensitivity "given" must add no model runs beyond the tornado's 1 + 2d).
Ratios are printed last. Usage:

    .venv/bin/python bench/run_floor.py [--runs 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
FLOOR = """
import prefect, great_expectations, duckdb, polars, scipy  # noqa: F401
from prefect import flow

@flow(name="empty")
def empty() -> None:
    pass

empty()
"""


def env() -> dict[str, str]:
    """The environment `chipcast run` runs Prefect in (chipcast.cli.main's defaults)."""
    out = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    out.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    out.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    return out


CPU: dict[str, float] = {}  # CPU seconds (user + system) of the last process `timed` ran


def load() -> str:
    """The machine's 1-minute load average, for the lines printed before a measurement."""
    return f"load {os.getloadavg()[0]:.1f}"


def timed(cmd: list[str], cwd: Path, log: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (bytes) of one process run to its end; its CPU
    seconds go to CPU["last"]."""
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env(), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    CPU["last"] = usage.ru_utime + usage.ru_stime
    return wall, proc.returncode, usage.ru_maxrss * 1024


def child(report: Path, argv: list[str]) -> int:
    """Run `chipcast <argv>` in this process with the model maths timed (module docstring)."""
    sys.path.insert(0, str(ROOT))
    import chipcast.model.outputs as outputs
    import chipcast.uncertainty.backtest as backtest
    import chipcast.uncertainty.montecarlo as montecarlo
    import chipcast.uncertainty.sensitivity as sensitivity
    import flows.forecast as forecast
    from chipcast.cli import main
    from chipcast.uncertainty.sampling import DrawPlan

    stats = {"model_s": 0.0, "engine_s": 0.0, "simulate_calls": 0, "simulate_draws": 0}
    depth = {"model": 0, "engine": 0}

    def wrap(fn, kind: str, count: bool = False):
        def inner(*args, **kwargs):
            if count:
                stats["simulate_calls"] += 1
                stats["simulate_draws"] += int(getattr(args[1], "n_draws", 0))
            if depth[kind]:
                return fn(*args, **kwargs)
            depth[kind] += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stats[f"{kind}_s"] += time.perf_counter() - start
                depth[kind] -= 1
        return inner

    for module in (montecarlo, sensitivity, outputs, backtest):
        module.simulate = wrap(module.simulate, "model", count=True)
    montecarlo.draw_values = wrap(montecarlo.draw_values, "model")
    montecarlo.exact_quantiles = wrap(montecarlo.exact_quantiles, "model")
    montecarlo.weighted_quantiles = wrap(montecarlo.weighted_quantiles, "model")
    DrawPlan.transform = wrap(DrawPlan.transform, "model")
    forecast.run_monte_carlo = wrap(forecast.run_monte_carlo, "engine")
    start = time.perf_counter()
    code = main(argv)
    stats["in_process_s"] = time.perf_counter() - start
    report.write_text(json.dumps(stats))
    return code


def new_project(parent: Path, name: str) -> Path:
    folder = parent / name
    subprocess.run([PYTHON, "-m", "chipcast.cli", "init", str(folder)], check=True,
                   capture_output=True, env=env())
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the projects and logs in this folder")
    args = parser.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="chipcast-floor-"))
    work.mkdir(parents=True, exist_ok=True)
    floors, runs, rss, stats, cpu_floor, cpu_run = [], [], [], [], [], []
    project = work
    print(f"nproc {os.cpu_count()}, memory "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
          flush=True)
    for i in range(args.runs):
        before = load()
        wall, code, _ = timed([PYTHON, "-c", FLOOR], work, work / f"floor-{i}.log")
        if code:
            print(f"floor run failed (exit {code}); see {work / f'floor-{i}.log'}")
            return 1
        floors.append(wall)
        cpu_floor.append(CPU["last"])
        print(f"floor {i + 1}: {wall:6.1f} s, CPU {CPU['last']:.1f} s ({before})", flush=True)
        project = new_project(work, f"project-{i}")
        report = work / f"run-{i}.json"
        before = load()
        wall, code, peak = timed([PYTHON, __file__, "--child", str(report), "run"], project,
                                 work / f"run-{i}.log")
        if code:
            print(f"default run failed (exit {code}); see {work / f'run-{i}.log'}")
            return 1
        runs.append(wall)
        rss.append(peak)
        cpu_run.append(CPU["last"])
        stats.append(json.loads(report.read_text()))
        print(f"default run {i + 1}: {wall:6.1f} s, CPU {CPU['last']:.1f} s ({before}), peak "
              f"RSS {peak / 2**30:.2f} GiB, model "
              f"maths {stats[-1]['model_s']:.1f} s, Monte Carlo engine "
              f"{stats[-1]['engine_s']:.1f} s, simulate calls {stats[-1]['simulate_calls']} "
              f"({stats[-1]['simulate_draws']:,} draws)", flush=True)
    report = work / "rerun.json"
    before = load()
    wall_cached, code, peak_cached = timed(
        [PYTHON, __file__, "--child", str(report), "run"], project, work / "rerun.log")
    if code:
        print(f"cached re-run failed (exit {code}); see {work / 'rerun.log'}")
        return 1
    cpu_cached = CPU["last"]
    cached_stats = json.loads(report.read_text())
    lines = (work / "rerun.log").read_text().splitlines()
    from_cache = sum("loaded from the cache" in line for line in lines)
    print(f"cached re-run: {wall_cached:6.1f} s, CPU {cpu_cached:.1f} s ({before}), peak RSS "
          f"{peak_cached / 2**30:.2f} GiB, "
          f"{from_cache} steps loaded from the cache, model maths "
          f"{cached_stats['model_s']:.1f} s, simulate calls {cached_stats['simulate_calls']}")
    floor, run = min(floors), min(runs)
    model = min(s["model_s"] for s in stats)
    engine = min(s["engine_s"] for s in stats)
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    print(f"floor (best of {len(floors)}): {floor:.1f} s; default run (best of {len(runs)}): "
          f"{run:.1f} s; model maths {model:.1f} s ({model / run:.0%} of the run), Monte Carlo "
          f"engine {engine:.1f} s ({engine / run:.0%}); non-model time {run - model:.1f} s")
    print(f"CPU time: floor (best) {min(cpu_floor):.1f} s, default run (best) "
          f"{min(cpu_run):.1f} s (x{min(cpu_run) / min(cpu_floor):.2f}), cached re-run "
          f"{cpu_cached:.1f} s (x{cpu_cached / min(cpu_floor):.2f})")
    print(f"default run / floor: x{run / floor:.2f} (target <= 2); without the model maths: "
          f"x{(run - model) / floor:.2f}")
    print(f"cached re-run / floor: x{wall_cached / floor:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child(Path(sys.argv[2]), sys.argv[3:]))
    sys.exit(main())
