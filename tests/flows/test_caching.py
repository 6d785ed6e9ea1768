"""A run whose inputs are unchanged loads the input checks, the Monte Carlo and the sensitivity
from forecasts/.cache and publishes a new vintage when its settings changed (here: the same
files in another folder); with settings, inputs and code all unchanged it publishes nothing and
records 'unchanged' in runs.log; a changed input misses the cache. Every run leaves its
artifacts in the Prefect UI."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pytest

from chipcast.project import SHIPPED_DATA
from chipcast.store import publish

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

SCENARIO = "seed-2023-ranges"
ARGS = dict(scenarios=[SCENARIO], draws=128, sensitivity_n=32, seed=5)


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """Count the calls of the three costly computations (the real functions still run)."""
    import flows.forecast
    import flows.ingest

    calls: Counter = Counter()
    for module, name in ((flows.ingest, "validate_inputs"),
                         (flows.forecast, "monte_carlo"),
                         (flows.forecast, "sensitivity_frame")):
        real = getattr(module, name)

        def wrapper(*a, _real=real, _name=name, **kw):
            calls[_name] += 1
            return _real(*a, **kw)

        monkeypatch.setattr(module, name, wrapper)
    return calls


def _run_rows(out: Path, table: str, run_id: str) -> list[tuple]:
    with duckdb.connect(str(out / "chipcast.duckdb"), read_only=True) as con:
        return con.execute(
            f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = $r "  # noqa: S608 - test SQL
            "ORDER BY ALL", {"r": run_id}).fetchall()


async def _artifacts(flow_run_id) -> dict[str, object]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    async with get_client() as client:
        found = await client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))
    return {a.key: a for a in found}


def test_rerun_loads_cached_steps_and_publishes_a_new_vintage(tmp_path: Path,
                                                              counted: Counter) -> None:
    from flows.pipeline import pipeline

    data = tmp_path / "data"
    shutil.copytree(SHIPPED_DATA, data)
    out = tmp_path / "forecasts"
    first = pipeline(data_dir=str(data), out_dir=str(out), **ARGS)
    assert counted == {"validate_inputs": 1, "monte_carlo": 1, "sensitivity_frame": 1}

    # the same bytes in another folder: other settings (a new vintage), the same cache keys
    moved = tmp_path / "data-copy"
    shutil.copytree(data, moved)
    state = pipeline(data_dir=str(moved), out_dir=str(out), return_state=True, **ARGS)
    second = state.result()
    assert counted == {"validate_inputs": 1, "monte_carlo": 1, "sensitivity_frame": 1}
    assert second.run_id != first.run_id and publish.latest_run_id(out) == second.run_id
    # the new vintage holds its own rows, equal to the first run's
    for table in ("forecast_quantiles", "sensitivity", "validation_results"):
        rows = _run_rows(out, table, second.run_id)
        assert rows, table
        if table != "validation_results":  # checked_at differs
            assert rows == _run_rows(out, table, first.run_id), table
    with duckdb.connect(str(out / "chipcast.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'published'"
                           ).fetchone()[0] == 2

    # its artifacts: a summary with the published P10/P50/P90, the comparison, the report
    arts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    assert set(arts) == {"chipcast-run-summary", "chipcast-scenario-comparison",
                         "chipcast-report"}
    summary = arts["chipcast-run-summary"].data
    assert second.run_id in summary and "failed" in summary
    with duckdb.connect(str(out / "chipcast.duckdb"), read_only=True) as con:
        p50 = con.execute(
            "SELECT value FROM headlines WHERE run_id = $r AND scenario = $s AND headline = "
            "'peak_installed_units' AND stat = 'quantile' AND quantile = 0.5",
            {"r": second.run_id, "s": SCENARIO}).fetchone()[0]
        n_checks = con.execute("SELECT count(*) FROM validation_results WHERE run_id = $r",
                               {"r": second.run_id}).fetchone()[0]
    assert f"{p50:,.0f}" in summary
    assert f"{n_checks:,} expectations passed, 0 failed" in summary
    # seed-2023-ranges does not calibrate: its prior back-test over every actual of actuals.csv
    assert "## Back-test coverage" in summary
    n_actuals = len(pl.read_csv(SHIPPED_DATA / "actuals.csv"))
    assert f"| {SCENARIO} | prior | " in summary and f" of {n_actuals} |" in summary
    assert f"({second.report.resolve().as_uri()})" in arts["chipcast-report"].data
    assert str(second.run_id) in arts["chipcast-scenario-comparison"].description

    # nothing changed: nothing computed, nothing published, 'unchanged' in runs.log, and the
    # answer is the latest run's
    before = sorted(p.name for p in (out / "exports").iterdir())
    third = pipeline(data_dir=str(moved), out_dir=str(out), **ARGS)
    assert counted == {"validate_inputs": 1, "monte_carlo": 1, "sensitivity_frame": 1}
    assert third.unchanged and not second.unchanged
    assert third.run_id == second.run_id == publish.latest_run_id(out)
    assert third.rows == second.rows and third.report == second.report
    assert [r["scenario"] for r in third.comparison] == [SCENARIO]
    assert sorted(p.name for p in (out / "exports").iterdir()) == before
    record = publish.read_runs_log(out)[-1]
    assert record["status"] == "unchanged" and record["run_id"] == second.run_id
    with duckdb.connect(str(out / "chipcast.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2

    # a changed input misses the cache: everything of that scenario is computed again
    path = moved / "scenarios" / f"{SCENARIO}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    fourth = pipeline(data_dir=str(moved), out_dir=str(out), **ARGS)
    assert fourth.run_id != second.run_id == publish.read_runs_log(out)[-2]["run_id"]
    assert counted == {"validate_inputs": 2, "monte_carlo": 2, "sensitivity_frame": 2}


def test_a_failed_run_records_itself_and_leaves_a_note(tmp_path: Path) -> None:
    from prefect.exceptions import PrefectException  # noqa: F401 - prefect is imported

    from chipcast.errors import WarehouseLocked
    from chipcast.store.lock import WarehouseLock
    from flows.pipeline import pipeline

    out = tmp_path / "forecasts"
    with WarehouseLock(out):  # another writer: the run fails before its publication opens
        state = pipeline(scenarios=["seed-2023"], out_dir=str(out), draws=0,
                         return_state=True)
    assert state.is_failed()
    with pytest.raises(WarehouseLocked):
        state.result()
    records = publish.read_runs_log(out)
    assert len(records) == 1  # the publication's record; the failure hook adds none
    record = records[-1]
    assert record["status"] == "locked" and "another chipcast run" in record["error"]
    assert record["flow_run_id"] == str(state.state_details.flow_run_id)
    arts = asyncio.run(_artifacts(state.state_details.flow_run_id))
    assert "Nothing was published" in arts["chipcast-failed-run"].data
