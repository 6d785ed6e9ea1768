"""Soak test: kill `chipcast run` at random moments and check that nothing is lost or left over.

On a small copy of the project's data (one scenario, few draws, no sensitivity, no cache: the
fastest real configuration that still computes and publishes every time), it first runs once to
completion (the first published snapshot and the length of a whole run), then `--kills` times
starts `chipcast run` (a real subprocess in its own session, with its own temporary Prefect
server, as an analyst runs it), kills it at a random moment of a whole run's length with
SIGKILL, SIGINT (to the process group, as Ctrl-C in a terminal) and SIGTERM in turn, and checks:

- snapshot: the published files (chipcast.duckdb, exports/latest/, report/latest.html) are
  byte-identical to the previous snapshot, or form a complete new one (manifest sha256s match,
  DuckDB opens and its latest published run is the one exports/latest names);
- lock free: another writer can take the lock at once;
- no orphan: no process carrying the run's tag in its environment is left after 5 s (the
  temporary server, Dask or any python child);
- SIGINT/SIGTERM: exit 130 within 5 s, no private files of its own left (.work-*, .publish-*,
  exports/.tmp-*; a SIGKILLed run's stay until the next run takes the lock);
- next run: a run started right after completes (exit 0) and publishes a complete snapshot
  (after every kill, or every `--next-every` kills when time is short: the runs in between
  start on what the kill left, and their own checks cover it).

With `--after-stage TEXT` the kill moment is instead uniform in [0, `--window`] s after the
run prints a stage line containing TEXT (e.g. "published": right after the commit point, the
moment a run is killed after publishing but before writing its runs.log record).

Prints one line per kill and the tally last. Usage:

    .venv/bin/python bench/soak_kill.py [--kills 50] [--draws 32] [--scenario seed-2023]
        [--seed 1] [--next-every 1] [--late-every 0] [--after-stage published --window 2]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chipcast.errors import WarehouseLocked  # noqa: E402
from chipcast.project import SHIPPED_DATA as DATA_DIR  # noqa: E402
from chipcast.store.lock import WarehouseLock  # noqa: E402

SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
STOP_LIMIT = 5.0  # s: a run must end within this after SIGINT/SIGTERM
ORPHAN_GRACE = 5.0  # s: children may take this long to die after their parent
PRIVATE = (".work-*.duckdb", ".work-*.duckdb.wal", ".publish-*.duckdb", "exports/.tmp-*",
           "report/.tmp-*.html")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(out: Path) -> dict[str, str]:
    """sha256 of every published file: the warehouse, exports/latest/*, report/latest.html."""
    files = {}
    db = out / "chipcast.duckdb"
    if db.exists():
        files["chipcast.duckdb"] = sha(db)
    latest = out / "exports" / "latest"
    if latest.exists():
        files["exports/latest ->"] = os.readlink(latest) if latest.is_symlink() else "dir"
        for f in sorted(latest.iterdir()):
            files[f"exports/latest/{f.name}"] = sha(f)
    report = out / "report" / "latest.html"
    if report.exists():
        files["report/latest.html"] = sha(report)
    return files


def complete(out: Path) -> str | None:
    """None if the published snapshot is complete and consistent, else what is wrong."""
    latest = out / "exports" / "latest"
    try:
        manifest = json.loads((latest / "manifest.json").read_text())
        for entry in manifest["files"]:
            if sha(latest / entry["file"]) != entry["sha256"]:
                return f"{entry['file']} does not match its manifest"
        con = duckdb.connect(str(out / "chipcast.duckdb"), read_only=True)
        try:
            run_id = con.execute("SELECT max(run_id) FROM runs WHERE status = 'published'"
                                 ).fetchone()[0]
        finally:
            con.close()
    except (OSError, ValueError, KeyError, duckdb.Error) as exc:
        return f"{type(exc).__name__}: {exc}"
    if run_id != manifest["run_id"]:
        return f"warehouse's latest run {run_id} != exports/latest {manifest['run_id']}"
    if not (out / "report" / "latest.html").exists():
        return "no report/latest.html"
    return None


def unlogged(out: Path) -> list[str]:
    """Published runs of the warehouse without a "published" record in runs.log."""
    logged = set()
    for line in (out / "runs.log").read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            if record.get("status") == "published":
                logged.add(record.get("run_id"))
    con = duckdb.connect(str(out / "chipcast.duckdb"), read_only=True)
    try:
        ids = [r[0] for r in con.execute(
            "SELECT run_id FROM runs WHERE status = 'published'").fetchall()]
    finally:
        con.close()
    return sorted(set(ids) - logged)


def tagged(tag: str) -> list[int]:
    """PIDs of live (not zombie) processes whose environment carries the tag."""
    found = []
    needle = f"CHIPCAST_SOAK_TAG={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.append(int(entry.name))
    return found


def wait_no_orphans(tag: str, grace: float = ORPHAN_GRACE) -> list[int]:
    deadline = time.monotonic() + grace
    while True:
        left = tagged(tag)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.1)


def lock_free(out: Path) -> bool:
    try:
        WarehouseLock(out).acquire().release()
    except WarehouseLocked:
        return False
    return True


def start(args: argparse.Namespace, data: Path, out: Path, tag: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(CHIPCAST_SOAK_TAG=tag, PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", DO_NOT_TRACK="1")
    cmd = [sys.executable, "-m", "chipcast.cli", "run", "--data-dir", str(data), "--out-dir",
           str(out), "--draws", str(args.draws), "--sensitivity", "off",
           # every run computes and publishes: with the cache an unchanged re-run publishes
           # nothing and ends in seconds, so the kills would land after it finished
           "--no-cache"]
    for s in args.scenario:
        cmd += ["--scenario", s]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def full_run(args: argparse.Namespace, data: Path, out: Path) -> tuple[int, float, str]:
    tag = uuid.uuid4().hex
    t0 = time.monotonic()
    proc = start(args, data, out, tag)
    _, err = proc.communicate(timeout=900)
    left = wait_no_orphans(tag)
    for pid in left:  # leave the machine clean even when the check fails
        os.kill(pid, signal.SIGKILL)
    return proc.returncode, time.monotonic() - t0, err if not left else f"orphans {left}"


stop_requested = False


def _request_stop(signum: int, frame: object) -> None:
    global stop_requested
    stop_requested = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--draws", type=int, default=32)
    parser.add_argument("--scenario", action="append", default=None)
    parser.add_argument("--seed", type=int, default=1, help="seed of the kill moments")
    parser.add_argument("--after-stage", default=None,
                        help="kill within --window s after a stage line containing this")
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--late-every", type=int, default=0,
                        help="every N-th kill waits for the stage line 'published' (the "
                        "commit point) and kills within --window s of it")
    parser.add_argument("--next-every", type=int, default=1,
                        help="run the next run to completion after every N-th kill")
    args = parser.parse_args()
    # SIGUSR1: finish the kill under way, then print the tally (when time is short).
    signal.signal(signal.SIGUSR1, _request_stop)
    args.scenario = args.scenario or ["seed-2023"]
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="chipcast-soak-"))
    data, out = work / "data", work / "forecasts"
    shutil.copytree(DATA_DIR, data)
    os.environ.setdefault("PREFECT_HOME", str(work / "prefect-home"))
    tally: Counter[str] = Counter()
    stops: dict[str, list[float]] = {"SIGINT": [], "SIGTERM": []}
    try:
        code, length, err = full_run(args, data, out)
        if code != 0:
            print(f"the first run failed (exit {code}):\n{err[-3000:]}")
            return 1
        when = (f"[0, {args.window:g}] s after the stage line {args.after_stage!r}"
                if args.after_stage else f"[0.5, {length:.1f}] s")
        if args.late_every:
            when += (f", every {args.late_every}th kill in [0, {args.window:g}] s after the "
                     "stage line 'published'")
        print(f"scenarios {', '.join(args.scenario)}, {args.draws} draws: a whole run takes "
              f"{length:.1f} s; killing {args.kills} runs at uniform moments in {when}",
              flush=True)
        before = snapshot(out)
        done = 0
        for i in range(args.kills):
            if stop_requested:
                print(f"stopped on request after {done} kills", flush=True)
                break
            sig = SIGNALS[i % len(SIGNALS)]
            tag = uuid.uuid4().hex
            # a SIGKILLed run's private files stay until the next run takes the lock (which
            # removes them): only files that appear during this run count against it
            private_before = {str(p.relative_to(out)) for pattern in PRIVATE
                              for p in out.glob(pattern)}
            proc = start(args, data, out, tag)
            early = []
            stage = args.after_stage
            if args.late_every and (i + 1) % args.late_every == 0:
                stage = "published"
            if stage:
                at = rng.uniform(0.0, args.window)
                t0 = time.monotonic()
                for line in proc.stderr:  # the stage lines, as they come
                    early.append(line)
                    if "chipcast:" in line and stage in line:
                        break
                time.sleep(at)
                at = time.monotonic() - t0  # the moment from the start, as printed
            else:
                at = rng.uniform(0.5, length)
                time.sleep(at)
            sent = time.monotonic()
            if proc.poll() is None:
                if sig is signal.SIGINT:
                    os.killpg(proc.pid, sig)  # Ctrl-C: the terminal signals the whole group
                else:
                    os.kill(proc.pid, sig)
            try:
                _, err = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            err = "".join(early) + err
            stopped = time.monotonic() - sent
            problems = []
            if sig is not signal.SIGKILL and proc.returncode not in (0, 130):
                problems.append(f"exit {proc.returncode}")
            if sig is not signal.SIGKILL and proc.returncode == 130:
                stops[sig.name].append(stopped)
                if stopped > STOP_LIMIT:
                    problems.append(f"stopped after {stopped:.1f} s")
                if "Traceback" in err:
                    problems.append("traceback on stderr")
                left_private = [name for pattern in PRIVATE
                                for name in (str(p.relative_to(out)) for p in out.glob(pattern))
                                if name not in private_before]
                if left_private:
                    problems.append(f"private files left: {left_private}")
            orphans = wait_no_orphans(tag)
            if orphans:
                problems.append(f"orphans {orphans}")
                for pid in orphans:
                    os.kill(pid, signal.SIGKILL)
            now = snapshot(out)
            if now == before:
                kept = "previous"
            else:
                wrong = complete(out)
                kept = "new" if wrong is None else "BROKEN"
                if wrong:
                    problems.append(f"snapshot: {wrong}")
            if not lock_free(out):
                problems.append("lock held")
            seconds = None
            if (i + 1) % args.next_every == 0 or i + 1 == args.kills:
                code, seconds, next_err = full_run(args, data, out)
                tally["next runs"] += 1
                if code != 0:
                    problems.append(f"next run exit {code}: "
                                    f"{next_err.strip().splitlines()[-1:]}")
                elif complete(out) is not None:
                    problems.append(f"next run's snapshot: {complete(out)}")
                elif missing := unlogged(out):
                    problems.append(f"published but not in runs.log: {missing}")
            before = snapshot(out)
            if kept == "new" and proc.returncode != 0:
                tally["killed after publishing"] += 1
            ended = ("finished" if proc.returncode == 0 else f"exit {proc.returncode}")
            verdict = "ok" if not problems else "FAIL " + "; ".join(problems)
            if problems:  # what the killed run said last
                tail = [line for line in err.splitlines() if line.strip()][-3:]
                verdict += "\n      stderr: " + "\n      stderr: ".join(tail)
            tally[f"{sig.name} {'ok' if not problems else 'FAIL'}"] += 1
            tally[f"snapshot {kept}"] += 1
            if proc.returncode == 0:
                tally["run finished before the signal"] += 1
            done += 1
            print(f"{i + 1:3d} {sig.name:7s} at {at:5.1f} s{' (late)' if stage else '':7s}: "
                  f"{ended:9s} stop {stopped:4.1f} s, "
                  f"snapshot {kept}, "
                  + (f"next run {seconds:.0f} s" if seconds is not None else "no next run")
                  + f": {verdict}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\ntally:")
    for key in sorted(tally):
        print(f"  {key}: {tally[key]}")
    for name, times in stops.items():
        if times:
            print(f"  {name} stop time: max {max(times):.2f} s, mean "
                  f"{sum(times) / len(times):.2f} s over {len(times)} interrupted runs")
    failed = sum(n for k, n in tally.items() if k.endswith("FAIL"))
    print(f"  kills: {sum(n for k, n in tally.items() if k.startswith('SIG'))} of "
          f"{args.kills} asked, failed checks: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
