"""`chipcast serve` against the real test server: the deployment's schedule (cron, timezone)
and parameters through the API, a triggered run that completes, publishes and leaves its
artifacts, and parameters that fail validation."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from prefect_server import stop

from chipcast.project import init_project
from chipcast.store import publish

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

NAME = "chipcast-scheduled/test-daily"


async def _deployment(timeout: float):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while True:
            try:
                return await client.read_deployment_by_name(NAME)
            except ObjectNotFound:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)


async def _summaries() -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        found = await client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["chipcast-run-summary"])))
    return [a.data for a in found]


def test_serve_schedules_and_runs_the_deployment(tmp_path: Path, prefect_server: str) -> None:
    from prefect.deployments import run_deployment

    project = init_project(tmp_path / "proj")
    env = {**os.environ, "PREFECT_API_URL": prefect_server,
           "PREFECT_HOME": tempfile.mkdtemp(prefix="chipcast-serve-home-")}
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-m", "chipcast.cli", "serve", "--project", str(project.root),
         "--name", "test-daily", "--cron", "30 5 * * 1-5", "--timezone", "Asia/Shanghai",
         "--draws", "0", "--scenario", "seed-2023"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        dep = asyncio.run(_deployment(timeout=120))
        (schedule,) = [s.schedule for s in dep.schedules]
        assert (schedule.cron, schedule.timezone) == ("30 5 * * 1-5", "Asia/Shanghai")
        params = dep.parameters["parameters"]
        assert params["project"] == str(project.root) and params["draws"] == 0
        assert params["scenarios"] == ["seed-2023"]
        fields = dep.parameter_openapi_schema["definitions"]["RunParameters"]["properties"]
        assert {"project", "scenarios", "draws", "seed", "sampler", "calibrate", "fit_until",
                "sensitivity"} <= set(fields)

        run = run_deployment(NAME, timeout=300)
        assert run.state.is_completed(), (run.state, (tmp_path / "serve.log").read_text())
        run_id = publish.latest_run_id(project.out_dir)
        assert run_id and publish.read_runs_log(project.out_dir)[-1]["status"] == "published"
        assert (project.out_dir / "report" / f"{run_id}.html").is_file()
        assert any(run_id in text for text in asyncio.run(_summaries()))

        # Parameters are validated against the model before a run starts.
        from prefect.exceptions import PrefectHTTPStatusError

        with pytest.raises(PrefectHTTPStatusError, match="parameters.draws.*less than the minimum"):
            run_deployment(NAME, parameters={"parameters": {"project": str(project.root),
                                                            "draws": -1}}, timeout=0)
    finally:
        stop(proc)
        log.close()


def test_prefect_yaml_deploys_the_scheduled_flow_to_a_work_pool(prefect_server: str) -> None:
    """`prefect deploy` with the repository's prefect.yaml, as its header says."""
    repo = Path(__file__).resolve().parents[2]
    prefect = Path(sys.executable).parent / "prefect"
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    for args in (["work-pool", "create", "chipcast-pool", "--type", "process"],
                 ["--no-prompt", "deploy", "--name", "chipcast-daily"]):
        done = subprocess.run([str(prefect), *args], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    async def read():
        from prefect.client.orchestration import get_client

        async with get_client() as client:
            return await client.read_deployment_by_name("chipcast-scheduled/chipcast-daily")

    dep = asyncio.run(read())
    assert dep.entrypoint == "flows/schedule.py:scheduled"
    assert dep.work_pool_name == "chipcast-pool"
    (schedule,) = [s.schedule for s in dep.schedules]
    assert (schedule.cron, schedule.timezone) == ("0 6 * * *", "UTC")
    assert dep.parameters == {"parameters": {"project": "."}}
    assert "RunParameters" in dep.parameter_openapi_schema["definitions"]
