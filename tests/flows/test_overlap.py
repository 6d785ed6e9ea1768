"""flows.pipeline.forecasts: each scenario's finish (sensitivity, output checks, writes) runs in a
second thread while the next scenario computes, one finish at a time and in scenario order; a
failure anywhere stops the run with nothing left running. The halves are replaced by recorders
(the real ones are covered by test_pipeline.py's runs), so these tests need no server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from chipcast.config import RunConfig
from chipcast.errors import CheckFailed
from flows import pipeline


class Recorder:
    """compute / finish stand-ins that log (event, scenario, thread, time) and can fail."""

    def __init__(self, compute_s: float = 0.2, finish_s: float = 0.3,
                 fail: dict[str, str] | None = None):
        self.events: list[tuple[str, str, str, float]] = []
        self.lock = threading.Lock()
        self.compute_s, self.finish_s, self.fail = compute_s, finish_s, fail or {}

    def log(self, what: str, scenario: str) -> None:
        with self.lock:
            self.events.append((what, scenario, threading.current_thread().name,
                                time.monotonic()))

    def compute(self, run_id, scenario, *args):  # noqa: ANN001, ANN201 - the stand-in
        self.log("compute start", scenario)
        time.sleep(self.compute_s)
        if self.fail.get(scenario) == "compute":
            raise RuntimeError(f"compute {scenario} failed")
        self.log("compute end", scenario)
        return scenario

    def finish(self, database, run_id, validation, done, *args):  # noqa: ANN001, ANN201
        self.log("finish start", done)
        time.sleep(self.finish_s)
        if self.fail.get(done) == "finish":
            raise CheckFailed([])
        self.log("finish end", done)
        return len(done)

    def at(self, what: str, scenario: str) -> float:
        return next(t for w, s, _, t in self.events if (w, s) == (what, scenario))


def run(monkeypatch, rec: Recorder, scenarios: tuple[str, ...], concurrent: bool = True
        ) -> dict[str, int]:
    monkeypatch.setattr(pipeline.forecast_flow, "compute", rec.compute)
    monkeypatch.setattr(pipeline.forecast_flow, "finish", rec.finish)
    monkeypatch.setattr(pipeline, "concurrent_kernels", lambda: concurrent)
    config = RunConfig(scenarios=scenarios, out_dir=Path("unused"), draws=16)
    return pipeline.forecasts(config, "db", "run", "validation",
                              {s: "print" for s in scenarios}, None)


def test_each_finish_overlaps_the_next_compute_one_at_a_time_in_order(monkeypatch) -> None:
    rec = Recorder()
    rows = run(monkeypatch, rec, ("a", "bb", "ccc"))
    assert rows == {"a": 1, "bb": 2, "ccc": 3}
    finishes = [(s, thread) for w, s, thread, _ in rec.events if w == "finish start"]
    assert [s for s, _ in finishes] == ["a", "bb", "ccc"]
    assert all(thread != threading.current_thread().name for _, thread in finishes)
    # a's finish ran while bb computed, bb's while ccc computed
    assert rec.at("finish start", "a") < rec.at("compute end", "bb")
    assert rec.at("finish start", "bb") < rec.at("compute end", "ccc")
    # never two finishes at once (one DuckDB writer)
    assert rec.at("finish end", "a") <= rec.at("finish start", "bb")
    assert rec.at("finish end", "bb") <= rec.at("finish start", "ccc")


def test_a_failed_finish_stops_the_run_before_the_next_finish(monkeypatch) -> None:
    rec = Recorder(fail={"a": "finish"})
    with pytest.raises(CheckFailed):
        run(monkeypatch, rec, ("a", "bb", "ccc"))
    started = [s for w, s, _, _ in rec.events if w == "finish start"]
    assert started == ["a"]  # bb computed meanwhile but was never checked or written
    assert not any(s == "ccc" for _, s, _, _ in rec.events)


def test_a_failed_compute_waits_for_the_running_finish(monkeypatch) -> None:
    rec = Recorder(compute_s=0.05, finish_s=0.5, fail={"bb": "compute"})
    with pytest.raises(RuntimeError, match="compute bb failed"):
        run(monkeypatch, rec, ("a", "bb", "ccc"))
    # a's finish was running when bb failed: it had ended before forecasts raised
    assert [(w, s) for w, s, _, _ in rec.events][-1] == ("finish end", "a")


def test_without_concurrent_kernels_each_finish_runs_in_turn(monkeypatch) -> None:
    rec = Recorder(compute_s=0.01, finish_s=0.01)
    rows = run(monkeypatch, rec, ("a", "bb"), concurrent=False)
    assert rows == {"a": 1, "bb": 2}
    assert [(w, s) for w, s, _, _ in rec.events] == [
        ("compute start", "a"), ("compute end", "a"), ("finish start", "a"),
        ("finish end", "a"), ("compute start", "bb"), ("compute end", "bb"),
        ("finish start", "bb"), ("finish end", "bb")]
    assert {thread for *_, thread, _ in rec.events} == {threading.current_thread().name}


def test_every_parallel_kernel_releases_the_gil() -> None:
    """The overlap only pays if a Monte Carlo's compiled kernels let the other thread's Python
    (the checks) run: every parallel kernel of the maths is compiled with nogil."""
    import importlib
    import pkgutil

    import numba.core.registry

    import chipcast.model
    import chipcast.uncertainty

    kernels = {}
    for package in (chipcast.model, chipcast.uncertainty):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, obj in vars(module).items():
                if (isinstance(obj, numba.core.registry.CPUDispatcher)
                        and obj.targetoptions.get("parallel")
                        and obj.__module__ == module.__name__):
                    kernels[f"{module.__name__}.{name}"] = obj.targetoptions.get("nogil", False)
    assert len(kernels) >= 15, sorted(kernels)
    assert [k for k, nogil in kernels.items() if not nogil] == []
