"""Benchmark: publishing one run (marts, Parquet exports, HTML report), before and after.

Takes a project whose forecasts/ holds a published run (`chipcast init DIR && cd DIR &&
chipcast run --draws 4096`: the same table sizes as the default draws) and publishes its
latest run again, the way flows/publish.py does on the run's private copy: copy
chipcast.duckdb, recreate the marts (build_marts), export the Parquet files
(RunPaths.export -> warehouse.export_parquet) and render the report (render_report, read-only
connection). "before" is the chipcast and sql/ of a git ref (default: the merge base with
main), "after" this tree; each side runs in its own process (PYTHONPATH names the tree), the
sides alternate `--rounds` times and the best wall and CPU time (user+sys of the process's
work, time.process_time) of each step is printed with the load average and each side's peak
RSS.

Then it checks that the outputs are the same: every Parquet file (polars `equals`: values,
types and row order), every table and view of the two private copies (`SELECT *` of each,
equal frames, in the order they come in), the view definitions' column
lists, and the report's HTML after blanking its generation time (the charts are inline SVG, so
equal HTML means equal charts). Usage:

    .venv/bin/python bench/publish.py PROJECT [--before REF] [--rounds 2]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(db: Path, out: Path) -> None:
    """One side: publish the latest run of `db` again into `out`; prints timings as JSON."""
    import duckdb

    import chipcast
    from chipcast.report import render_report
    from chipcast.store import warehouse

    times: dict[str, float | str] = {"chipcast": str(Path(chipcast.__file__).parent)}
    work = out / "work.duckdb"
    shutil.copyfile(db, work)

    def timed(step: str, fn):  # noqa: ANN001, ANN202 - a bench helper
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times[f"{step}_wall"] = time.perf_counter() - wall
        times[f"{step}_cpu"] = time.process_time() - cpu
        return result

    con = duckdb.connect(str(work))
    try:
        run_id = con.execute(warehouse.sql("warehouse/published_runs")).fetchall()[-1][0]
        timed("marts", lambda: warehouse.create_marts(con))
    finally:
        con.close()
    con = duckdb.connect(str(work), read_only=True)
    try:
        timed("export", lambda: warehouse.export_parquet(con, run_id, out / "exports"))
        extra = {}
        if "exports" in inspect.signature(render_report).parameters:  # as flows/publish.py
            extra["exports"] = out / "exports"
        timed("report", lambda: render_report(con, run_id, out / "report.html", **extra))
    finally:
        con.close()
    times["run_id"] = run_id
    times["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps(times))


def run_side(tree: Path, db: Path, out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run([sys.executable, __file__, "--worker", str(db), str(out)], env=env,
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if Path(result["chipcast"]).resolve() != (tree / "chipcast").resolve():
        raise RuntimeError(f"the side ran {result['chipcast']}, not {tree}")
    return result


def compare(before: Path, after: Path) -> list[str]:
    """What differs between the two sides' outputs ([] when nothing does)."""
    import duckdb
    import polars as pl

    problems = []
    names = sorted(p.name for p in (before / "exports").glob("*.parquet"))
    if names != sorted(p.name for p in (after / "exports").glob("*.parquet")):
        problems.append("different Parquet files")
    for name in names:
        a, b = pl.read_parquet(before / "exports" / name), pl.read_parquet(after / "exports" / name)
        if not a.equals(b):
            problems.append(f"exports/{name} differs")
    cons = [duckdb.connect(str(side / "work.duckdb"), read_only=True) for side in (before, after)]
    try:
        listing = "SELECT table_name, table_type FROM information_schema.tables ORDER BY 1"
        objects = [c.execute(listing).fetchall() for c in cons]
        if objects[0] != objects[1]:
            problems.append("different tables or views")
        for name, kind in objects[0]:
            # a table in its stored order (one scan keeps it), a view in its ORDER BY's
            frames = [c.table(name).pl() for c in cons]
            if not frames[0].equals(frames[1]):
                problems.append(f"{kind.lower()} {name} differs")
    finally:
        for c in cons:
            c.close()
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    html = [stamp.sub("<time>", (side / "report.html").read_text(encoding="utf-8"))
            for side in (before, after)]
    if html[0] != html[1]:
        problems.append("report.html differs")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path, nargs="?")
    parser.add_argument("--before", help="git ref of the 'before' code (default: merge base)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    db = args.project / "forecasts" / "chipcast.duckdb"
    ref = args.before or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                                        capture_output=True, text=True,
                                        check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="chipcast-bench-publish-") as tmp:
        old = Path(tmp) / "before-tree"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "chipcast", "sql"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        sides = {"before": old, "after": ROOT}
        best: dict[str, dict[str, float]] = {side: {} for side in sides}
        for _ in range(args.rounds):
            for side, tree in sides.items():
                got = run_side(tree, db, Path(tmp) / side)
                for key, value in got.items():
                    if key.endswith(("_wall", "_cpu")):
                        best[side][key] = min(best[side].get(key, value), value)
                print(f"{side:6s} " + "  ".join(
                    f"{step} {got[f'{step}_wall']:.2f} s wall {got[f'{step}_cpu']:.2f} s CPU"
                    for step in ("marts", "export", "report"))
                    + f"  peak RSS {got['peak_rss_gb']:.2f} GiB (load {os.getloadavg()[0]:.1f})",
                    flush=True)
                peak = best[side].get("peak_rss_gb", 0.0)
                best[side]["peak_rss_gb"] = max(peak, got["peak_rss_gb"])
        print(f"run {got['run_id']}; before = {ref[:12]}; best of {args.rounds}:")
        for step in ("marts", "export", "report"):
            b, a = best["before"], best["after"]
            print(f"  {step:7s} wall {b[f'{step}_wall']:6.2f} -> {a[f'{step}_wall']:6.2f} s "
                  f"(x{b[f'{step}_wall'] / a[f'{step}_wall']:.2f})   CPU "
                  f"{b[f'{step}_cpu']:6.2f} -> {a[f'{step}_cpu']:6.2f} s "
                  f"(x{b[f'{step}_cpu'] / a[f'{step}_cpu']:.2f})")
        print(f"  peak RSS (the three steps in one process, highest of the rounds) "
              f"{best['before']['peak_rss_gb']:.2f} -> {best['after']['peak_rss_gb']:.2f} GiB")
        total = {side: sum(v for k, v in best[side].items() if k.endswith("_wall"))
                 for side in sides}
        print(f"  total   wall {total['before']:6.2f} -> {total['after']:6.2f} s "
              f"(x{total['before'] / total['after']:.2f})")
        problems = compare(Path(tmp) / "before", Path(tmp) / "after")
        print("outputs identical: " + ("yes (Parquet, tables, views, report)" if not problems
                                       else "NO: " + "; ".join(problems)))
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
