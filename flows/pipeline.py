"""The parent flow `chipcast run` starts: ingest every scenario, forecast every scenario,
publish. It only chains the child flows inside one publication (lock + private copy), so a
failure anywhere publishes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow

from chipcast import warehouse
from chipcast.config import DEFAULT_DRAWS, DEFAULT_SEED, DEFAULT_SENSITIVITY_N, RunConfig
from chipcast.paths import DATA_DIR, FORECASTS_DIR
from chipcast.publish import Publication
from flows.common import stage
from flows.forecast import forecast
from flows.ingest import ingest
from flows.publish import publish


@dataclass(frozen=True)
class RunSummary:
    """What a published run produced: ids, row counts and where the outputs are."""

    run_id: str
    scenarios: tuple[str, ...]
    rows: dict[str, int]  # forecast rows per scenario
    database: Path
    exports: Path
    validation: Path
    report: Path
    comparison: list[dict[str, Any]] = field(default_factory=list)


@flow(name="chipcast-pipeline", validate_parameters=False)
def pipeline(
    scenarios: list[str] | tuple[str, ...] = ("base",),
    data_dir: str | Path = DATA_DIR,
    out_dir: str | Path = FORECASTS_DIR,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    sampler: str = "sobol",
    sensitivity_n: int = DEFAULT_SENSITIVITY_N,
) -> RunSummary:
    """Run the whole pipeline for the scenarios and publish one new run into out_dir."""
    config = RunConfig(
        scenarios=tuple(scenarios), data_dir=Path(data_dir), out_dir=Path(out_dir),
        draws=draws, seed=seed, sampler=sampler, sensitivity_n=sensitivity_n,
    )
    meta = {"scenarios": list(config.scenarios), "config": config.to_json()}
    with Publication(config.out_dir, meta=meta) as pub:
        stage(f"run {pub.run_id}: scenarios {', '.join(config.scenarios)}")
        validation_dir = config.out_dir / "validation" / pub.run_id
        warehouse.start_run(pub.con, pub.run_id, config, pub.started_at)
        inputs = {
            s: ingest(pub.con, pub.run_id, s, config.data_dir, validation_dir)
            for s in config.scenarios
        }
        rows = {
            s: forecast(pub.con, pub.run_id, s, inputs[s], validation_dir,
                        config.draws, config.seed, config.sampler, config.sensitivity_n)
            for s in config.scenarios
        }
        comparison = publish(pub)
    return RunSummary(
        run_id=pub.run_id, scenarios=config.scenarios, rows=rows, database=pub.published,
        exports=pub.exports_dir, validation=validation_dir, report=pub.report,
        comparison=comparison,
    )
