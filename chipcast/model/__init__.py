"""The demand model, maths only (no DuckDB, Prefect, CLI or report): formulas and parameters,
per-model compute, the compiled scenario structure, training and inference need, the fleet
stock-flow, and the outputs of a draw (long table, series, headlines)."""
