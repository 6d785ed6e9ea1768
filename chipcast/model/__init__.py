"""The demand model, maths only (no DuckDB, Prefect, CLI or report): formulas and parameters,
per-model compute, the compiled scenario structure, training and inference need, the fleet
stock-flow, and the outputs of a draw (long table, series, headlines)."""

import os

# numba's parallel kernels run on its OpenMP thread pool. By default OpenMP's idle workers
# spin for milliseconds after each parallel region (waiting for the next one): with a dozen
# regions per `simulate` and numpy work between them, on a 2-core machine shared with other
# processes the spinning took the cores the main thread needed (bench/engine.py, load 6.5:
# simulate 134 ms wall / 98 ms CPU spinning, 70 ms / 60 ms passive). Passive workers sleep
# until the next region (tens of microseconds to wake). Read once, when numba first starts
# its pool, so it is set here, before any kernel runs; a value already set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
