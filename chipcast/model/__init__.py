"""The demand model, maths only (no DuckDB, Prefect, CLI or report): formulas and parameters,
per-model compute, the compiled scenario structure, training and inference need, the fleet
stock-flow, and the outputs of a draw (long table, series, headlines)."""

import ctypes
import os
import platform

# numba's parallel kernels run on its OpenMP thread pool. By default OpenMP's idle workers
# spin for milliseconds after each parallel region (waiting for the next one): with a dozen
# regions per `simulate` and numpy work between them, on a 2-core machine shared with other
# processes the spinning took the cores the main thread needed (bench/engine.py, load 6.5:
# simulate 134 ms wall / 98 ms CPU spinning, 70 ms / 60 ms passive). Passive workers sleep
# until the next region (tens of microseconds to wake). Read once, when numba first starts
# its pool, so it is set here, before any kernel runs; a value already set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# glibc's malloc returns the memory of a freed large array to the system (arrays above its mmap
# threshold are unmapped; the heap's free top beyond the trim threshold is released), so the
# next array of that size maps fresh pages and every first write to a page faults and zeroes
# it. A Monte Carlo allocates and frees the same (draws, buyers, months) arrays chunk after
# chunk: on base (1,024 draws, one thread) `simulate` took 53 ms of CPU, 40 ms when freed
# memory was kept for reuse; a 16,384-draw Monte Carlo page-faulted 228,000 times, 13,000
# kept (bench/RESULTS.md, 2026-11-29 s16-engine). Arrays up to 32 MB (glibc's largest mmap
# threshold) therefore come from the heap, and up to 1 GiB of freed heap is kept: the peak
# memory is unchanged (the freed arrays are reused), memory is returned only beyond that.
# glibc only; settings the user made through MALLOC_* or GLIBC_TUNABLES are kept.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2**30


def _keep_freed_memory() -> bool:
    """Tune glibc's malloc as above; False where it is not glibc or the user tuned it."""
    if platform.libc_ver()[0] != "glibc" or any(
            k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                                      "GLIBC_TUNABLES")):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


MALLOC_TUNED = _keep_freed_memory()
