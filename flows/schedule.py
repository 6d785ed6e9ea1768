"""Scheduled runs: the flow a deployment runs (`chipcast-scheduled`), its validated parameters
and the deployment `chipcast serve` serves.

The deployment's one parameter is a pydantic model (`RunParameters`), so Prefect validates a
run's parameters (from the UI, the API or the schedule) before the flow starts, and the UI shows
a form with each field. The flow resolves the project (its chipcast.toml gives the defaults of
every field left empty) and runs the pipeline flow as a child.

This module only defines things: nothing here starts serving on import, so the runner's
subprocess that imports it to execute a scheduled run does not hang (serving is
`chipcast serve`, or `prefect deploy` with the repository's prefect.yaml).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

from prefect import flow
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron
from pydantic import BaseModel, ConfigDict, Field

from chipcast.config import RunConfig
from chipcast.contracts import SAMPLERS
from chipcast.inputs import available_scenarios
from chipcast.project import find_project
from flows.pipeline import pipeline

DEPLOYMENT_NAME = "chipcast-daily"
Sampler = Literal[SAMPLERS]  # type: ignore[valid-type]


class RunParameters(BaseModel):
    """What a scheduled run computes. Empty fields take the project's chipcast.toml [run]
    defaults (then chipcast's)."""

    model_config = ConfigDict(extra="forbid")

    project: str = Field(description="project folder (holds chipcast.toml)")
    scenarios: list[str] | None = Field(
        default=None, description="scenarios to run (empty: the project's default)")
    draws: int | None = Field(default=None, ge=0,
                              description="Monte Carlo draws per scenario (0: deterministic)")
    seed: int | None = Field(default=None, description="random seed")
    sampler: Sampler | None = Field(default=None, description="how inputs are drawn")
    sensitivity_n: int | None = Field(
        default=None, ge=0, description="Sobol base sample (power of 2; 0: skip)")
    calibrate: bool | None = Field(
        default=None, description="rule out the draws actuals.csv contradicts (history "
        "matching); empty: each scenario's own setting")
    fit_until: date | None = Field(
        default=None, description="calibrate on the actuals published by this month's end "
        "(first day of the month; empty: all)")
    sensitivity: Literal["given", "full", "off"] = Field(
        default="given", description="given: indices from the Monte Carlo's draws; full: also "
        "Sobol total indices; off")
    wait: float = Field(default=600.0, ge=0, description="seconds to wait for a run already "
                        "writing the project's outputs")
    dask: str | None = Field(default=None, description="'local' or tcp://host:port to run "
                             "the Monte Carlo on Dask")


@flow(name="chipcast-scheduled")
def scheduled(parameters: RunParameters) -> dict[str, Any]:
    """Run the pipeline on the project `parameters.project` (defaults from its chipcast.toml);
    returns the run id, scenarios and report path."""
    project = find_project(parameters.project)
    args = SimpleNamespace(scenarios=parameters.scenarios or None, draws=parameters.draws,
                           seed=parameters.seed, sampler=parameters.sampler,
                           sensitivity_n=parameters.sensitivity_n)
    config = RunConfig.from_sources(args, shipped=available_scenarios, project=project)
    summary = pipeline(
        scenarios=list(config.scenarios), data_dir=str(config.data_dir),
        out_dir=str(config.out_dir), draws=config.draws, seed=config.seed,
        sampler=config.sampler, sensitivity_n=config.sensitivity_n,
        sensitivity=parameters.sensitivity, calibrate=parameters.calibrate,
        fit_until=parameters.fit_until, dask=parameters.dask, wait=parameters.wait)
    return {"run_id": summary.run_id, "scenarios": list(summary.scenarios),
            "report": str(summary.report)}


def deployment(project: str | Path, cron: str, timezone: str,
               name: str = DEPLOYMENT_NAME, **overrides: Any) -> RunnerDeployment:
    """The deployment of `scheduled` on `project` with a cron schedule in `timezone`;
    `overrides` set RunParameters fields (validated here)."""
    params = RunParameters(project=str(Path(project).resolve()), **overrides)
    return scheduled.to_deployment(
        name=name,
        schedules=[Cron(cron, timezone=timezone)],
        parameters={"parameters": params.model_dump(mode="json")},
        description=f"chipcast forecasts of {params.project}, {cron} ({timezone})",
        tags=["chipcast"],
        # By module path: an installed chipcast has no source checkout to point at.
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
