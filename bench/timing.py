"""Timing helper shared by the bench scripts (run as `python bench/<script>.py`, so this folder
is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], repeat: int, warm_up: bool = False) -> tuple[float, float]:
    """Wall and CPU seconds (this process, all threads) of the fastest of `repeat` calls, each
    minimum taken apart: the machine is shared, so the minimum is the least disturbed, and CPU
    time does not count the time other processes hold the cores. `warm_up`: one call first,
    not timed (numba compiling or loading its cache)."""
    if warm_up:
        fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)
