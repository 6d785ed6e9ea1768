"""How the CLI tells a user's problem from a bug: `classify` turns the exceptions a user can
act on (the environment's OSErrors, an unreachable Prefect API, a damaged DuckDB file) into the
ChipcastError that names them; anything else is an internal error (exit 70)."""

from __future__ import annotations

from chipcast.errors import (
    DEBUG_ENV,
    ChipcastError,
    EnvironmentProblem,
    debugging,
    environment_problem,
)

__all__ = ["DEBUG_ENV", "classify", "debugging"]


def classify(exc: BaseException) -> ChipcastError | None:
    """An exception the user can act on, as the ChipcastError that names it (the environment's
    OSErrors, an unreachable Prefect API, a damaged DuckDB file), else None (a bug)."""
    if isinstance(exc, ChipcastError):
        return exc
    found = environment_problem(exc)
    if found is not None:
        return found
    module = type(exc).__module__ or ""
    if module.startswith(("httpx", "httpcore")) and "Connect" in type(exc).__name__:
        # Imported lazily: a failure path; the CLI's start-up stays light.
        from prefect.settings import PREFECT_API_URL

        return EnvironmentProblem(
            f"the Prefect API at {PREFECT_API_URL.value() or 'the temporary server'} cannot be "
            f"reached ({exc}); start it (`prefect server start`) or unset PREFECT_API_URL")
    if module.startswith("_duckdb") and type(exc).__name__ == "IOException":
        return EnvironmentProblem(f"a DuckDB file cannot be read or written ({exc}); check the "
                                  "disk and the file's permissions")
    return None
