"""Benchmark: how the published warehouse grows over repeated runs, without and with retention.

Runs the pipeline `--runs` times into two temporary output folders (same scenarios, draws and
seed): one keeping every run, one with `keep_runs` (what CHIPCAST_KEEP_RUNS sets). Prints the
size of chipcast.duckdb and of exports/ after each run, the ratio of the final sizes, and the
time of each run, all measured in this run. Starts a temporary local Prefect server. Usage:

    .venv/bin/python bench/warehouse_growth.py [--runs 4] [--keep 2] [--draws 256]
        [--scenario base --scenario seed-2023]
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
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from chipcast.project import SHIPPED_DATA as DATA_DIR  # noqa: E402
from chipcast.store.warehouse import DB_NAME  # noqa: E402


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--keep", type=int, default=2)
    parser.add_argument("--draws", type=int, default=256)
    parser.add_argument("--sensitivity-n", type=int, default=64)
    parser.add_argument("--scenario", action="append", dest="scenarios")
    args = parser.parse_args()
    scenarios = args.scenarios or ["base", "seed-2023"]

    from flows.pipeline import pipeline

    mb = 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="chipcast-growth-") as tmp:
        sizes: dict[str, list[tuple[float, float, float]]] = {"keep all": [],
                                                              f"keep {args.keep}": []}
        for label, keep in (("keep all", None), (f"keep {args.keep}", args.keep)):
            out = Path(tmp) / label.replace(" ", "-")
            for i in range(args.runs):
                start = time.perf_counter()
                pipeline(scenarios=scenarios, data_dir=str(DATA_DIR), out_dir=str(out),
                         draws=args.draws, sensitivity_n=args.sensitivity_n, keep_runs=keep,
                         cache=False)  # an unchanged cached re-run publishes no new vintage
                seconds = time.perf_counter() - start
                db = (out / DB_NAME).stat().st_size / mb
                exports = folder_bytes(out / "exports") / mb
                sizes[label].append((db, exports, seconds))
                print(f"{label:>8} run {i + 1}: chipcast.duckdb {db:6.2f} MB, exports "
                      f"{exports:6.2f} MB, {seconds:5.1f} s", flush=True)
        full, kept = sizes["keep all"][-1][0], sizes[f"keep {args.keep}"][-1][0]
        first = sizes["keep all"][0][0]
        print(f"after {args.runs} runs: keep all {full:.2f} MB ({full / first:.2f}x the first "
              f"run's file), keep {args.keep} {kept:.2f} MB; ratio {full / kept:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
