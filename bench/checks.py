"""Benchmark (issue 13): the Great Expectations checks of a run, before vs after, back to back.

Baseline = chipcast/, flows/ and sql/ at REV (default: the commit this branch started from,
`git merge-base HEAD main`), exported with `git archive` into a temporary folder; current = this
tree. Each side runs in its own fresh process (GX imported once, outside the timings, as in a
run), the two alternating `--runs` times; the best CPU time of each stage is kept and the wall
time of that same run printed beside it.

Work per side, the checks of a default `chipcast run`:
- inputs: `validate_inputs` of every shipped scenario, in turn in one process (so a suite that
  passed on an equal frame is reused, as in a run);
- outputs: per scenario `validate_forecast`, `validate_quantiles`, `validate_sensitivity` and
  `record_reports` (GX JSON, Data Docs pages and index, warehouse rows) into a temporary folder.
  The output frames are the base scenario's (deterministic forecast, Monte Carlo summaries at
  `--draws` draws: the quantile table's size does not depend on the draws, sensitivity
  "given"), computed once, cached as Parquet and relabelled with each shipped scenario's name.

Identity: each side writes every report's verdicts, outcomes, problems (file, row, column,
values, hint), check rows (`results_frame` minus its timestamp) and GX results (minus GX's load
time); the two must be equal, and the GX batch fingerprints (md5 of the pandas frame GX
validated) are compared separately. Usage:

    .venv/bin/python bench/checks.py [--runs 2] [--rev REV] [--draws 256]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["inputs", "forecast", "quantiles", "sensitivity", "record", "total"]


def make_frames(folder: Path, draws: int) -> None:
    """The base scenario's output frames as Parquet in `folder` (computed once)."""
    import polars as pl

    from chipcast.inputs import load_inputs
    from chipcast.model.outputs import deterministic
    from flows.forecast import monte_carlo, sensitivity_frame

    inputs = load_inputs(ROOT / "data", "base")
    frame, _ = deterministic(inputs)
    s = inputs.settings
    mc = monte_carlo(inputs, draws, 42, "sobol", s.calibrate, s.fit_until)
    frame.write_parquet(folder / "forecast.parquet")
    mc.quantiles.with_columns(pl.lit("bench").alias("run_id")).write_parquet(
        folder / "quantiles.parquet")
    sensitivity_frame(inputs, mc, "given", 64, 42).write_parquet(folder / "sensitivity.parquet")


def _digest(report: Any) -> dict[str, Any]:
    """What must not change: verdicts, outcomes with their problems, GX results."""
    from dataclasses import asdict

    suites = []
    for s in report.suite_results:
        gx = json.loads(json.dumps(s.gx_result, default=str, sort_keys=True))
        markers = gx.get("meta", {}).pop("batch_markers", {})
        suites.append({"suite": s.suite, "file": s.file, "success": s.success,
                       "outcomes": [asdict(o) for o in s.outcomes], "gx": gx,
                       "fingerprint": markers.get("pandas_data_fingerprint")})
    rows = report.results_frame("bench", "x").drop("checked_at").to_dicts()
    return {"success": report.success, "suites": suites, "rows": rows}


def worker(code: Path, frames: Path, out: Path) -> None:
    """One side's measurement, importing chipcast and flows from `code`."""
    if code != ROOT:  # the editable install's finder would import this tree's chipcast
        sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in repr(f)]
    sys.path.insert(0, str(code))
    import polars as pl

    import chipcast
    from chipcast.checks import (
        validate_forecast,
        validate_inputs,
        validate_quantiles,
        validate_sensitivity,
    )
    from chipcast.checks.engine import _batch_definition
    from chipcast.inputs import load_inputs
    from chipcast.inputs.scenarios import available_scenarios
    from flows.ingest import record_reports

    assert Path(chipcast.__file__).resolve().is_relative_to(code.resolve()), chipcast.__file__
    scenarios = available_scenarios(ROOT / "data")
    inputs = {s: load_inputs(ROOT / "data", s) for s in scenarios}
    base = {n: pl.read_parquet(frames / f"{n}.parquet")
            for n in ("forecast", "quantiles", "sensitivity")}
    _batch_definition()  # GX import and context: once per run, outside the checks' cost
    times = {s: [0.0, 0.0] for s in STAGES}
    digests: dict[str, Any] = {}

    def timed(stage: str, fn: Any) -> Any:
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        times[stage][0] += time.process_time() - c
        times[stage][1] += time.perf_counter() - w
        return result

    c0, w0 = time.process_time(), time.perf_counter()
    for s in scenarios:
        digests[f"inputs-{s}"] = _digest(timed("inputs", lambda s=s: validate_inputs(inputs[s])))
    with tempfile.TemporaryDirectory() as tmp:
        for s in scenarios:
            label = pl.lit(s).alias("scenario")
            reports = {
                "forecast": timed("forecast", lambda lab=label: validate_forecast(
                    base["forecast"].with_columns(lab))),
                "quantiles": timed("quantiles", lambda lab=label: validate_quantiles(
                    base["quantiles"].with_columns(lab))),
                "sensitivity": timed("sensitivity", lambda lab=label: validate_sensitivity(
                    base["sensitivity"].with_columns(lab)))}
            timed("record", lambda s=s, reports=reports: record_reports(
                f"{tmp}/bench.duckdb", "bench", {f"{tmp}/validation/{name}-{s}.json": r
                                                 for name, r in reports.items()}, s))
            digests.update({f"{name}-{s}": _digest(r) for name, r in reports.items()})
        pages = sorted(str(p.relative_to(tmp)) for p in Path(tmp, "validation").rglob("*.html"))
    times["total"] = [time.process_time() - c0, time.perf_counter() - w0]
    out.write_text(json.dumps({"times": times, "digests": digests, "pages": pages},
                              default=str, sort_keys=True), encoding="utf-8")


def _export(rev: str, folder: Path) -> None:
    """chipcast/, flows/ and sql/ at `rev` into `folder`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "chipcast", "flows", "sql"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def _split(digests: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    prints = {k: [s.pop("fingerprint") for s in d["suites"]] for k, d in digests.items()}
    return digests, prints


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--rev", default=None, help="baseline commit (default: merge-base)")
    parser.add_argument("--draws", type=int, default=256)
    parser.add_argument("--frames", type=Path, default=None, help="cached frames folder")
    parser.add_argument("--worker", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.frames, args.out)
        return
    rev = args.rev or subprocess.run(["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
                                     check=True, capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        frames = args.frames or Path(tmp, "frames")
        if not (frames / "quantiles.parquet").is_file():
            frames.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            make_frames(frames, args.draws)
            print(f"output frames of base at {args.draws} draws: {time.perf_counter() - t:.0f} s")
        old = Path(tmp, "baseline")
        old.mkdir()
        _export(rev, old)
        sides = {"before": old, "after": ROOT}
        best: dict[str, dict[str, list[float]]] = {}
        results: dict[str, Any] = {}
        for run in range(args.runs):
            for side, code in sides.items():
                load = os.getloadavg()[0]
                out = Path(tmp, f"{side}-{run}.json")
                subprocess.run([sys.executable, __file__, "--worker", str(code), "--frames",
                                str(frames), "--out", str(out)], check=True)
                doc = json.loads(out.read_text(encoding="utf-8"))
                print(f"run {run + 1} {side:6s} (load {load:.2f}): " + ", ".join(
                    f"{s} {c:.2f}/{w:.2f}" for s, (c, w) in doc["times"].items()))
                for s, (c, w) in doc["times"].items():
                    if s not in best.setdefault(side, {}) or c < best[side][s][0]:
                        best[side][s] = [c, w]
                results[side] = doc
    print(f"\nbaseline {rev[:10]}; CPU s (user+sys of the process) / wall s, best CPU of "
          f"{args.runs} runs; load now {os.getloadavg()[0]:.2f}")
    print(f"{'stage':12s} {'before':>16s} {'after':>16s} {'CPU x':>7s} {'wall x':>7s}")
    for s in STAGES:
        (cb, wb), (ca, wa) = best["before"][s], best["after"][s]
        print(f"{s:12s} {cb:7.2f} /{wb:7.2f} {ca:7.2f} /{wa:7.2f} {cb / ca:7.2f} {wb / wa:7.2f}")
    before, prints_b = _split(results["before"]["digests"])
    after, prints_a = _split(results["after"]["digests"])
    same = before == after
    print(f"reports identical (verdicts, outcomes, problems, check rows, GX results): {same}")
    if not same:
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                print(f"  differs: {key}")
    fp_same = sum(a == b for k in prints_b for a, b in zip(prints_b[k], prints_a.get(k, []),
                                                           strict=False))
    print(f"GX batch fingerprints equal: {fp_same} of {sum(map(len, prints_b.values()))} suites")
    names = {k: [s["suite"] for s in d["suites"]] for k, d in before.items()}
    differ = sorted({name for k in prints_b for name, a, b in zip(
        names[k], prints_b[k], prints_a.get(k, []), strict=False) if a != b})
    if differ:  # e.g. the totals frames: a polars join's row order is not fixed
        print(f"  fingerprints differ for: {', '.join(differ)}")
    print("Data Docs pages identical set: "
          f"{results['before']['pages'] == results['after']['pages']}")


if __name__ == "__main__":
    main()
