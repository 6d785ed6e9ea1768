"""An ordinary install: build the wheel, install it (not editable) into a fresh virtual
environment, create a project with `chipcast init` in a temporary folder and run there. The
wheel must carry the SQL, templates and shipped inputs as package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).parent / "uv"
SKIP = shutil.ignore_patterns(".venv", ".git", "forecasts", "build", "dist", "*.egg-info",
                              "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis")


def sh(*args: str | Path, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_wheel_installs_inits_a_project_and_runs_there(tmp_path: Path,
                                                       prefect_server: str) -> None:
    # Build from a copy, so the checkout gets no build/ or egg-info folders.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=SKIP)
    sh(UV, "build", "--wheel", "--out-dir", tmp_path / "dist", src, timeout=600)
    (wheel,) = (tmp_path / "dist").glob("chipcast-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("chipcast/sql/marts/mart_bands.sql", "chipcast/data/chips.csv",
                 "chipcast/data/scenarios/base.yaml", "chipcast/report/templates/report.html.j2"):
        assert path in names, path  # real files, not the repository's symlinks

    venv = tmp_path / "venv"
    sh(UV, "venv", "--python", sys.executable, venv, timeout=300)
    sh(UV, "pip", "install", "--python", venv / "bin" / "python", wheel, timeout=900)
    exe = venv / "bin" / "chipcast"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PYTHONPATH": ""}
    work = tmp_path / "work"
    work.mkdir()
    sh(exe, "init", "proj", cwd=work, env=env, timeout=120)
    proj = work / "proj"
    done = sh(exe, "run", "--draws", "0", cwd=proj, env=env, timeout=900)
    assert "published" in done.stdout
    assert (proj / "forecasts" / "chipcast.duckdb").is_file()
    assert (proj / "forecasts" / "report" / "latest.html").is_file()
    # the installed package runs from site-packages, not from this checkout
    where = sh(venv / "bin" / "python", "-c", "import chipcast; print(chipcast.__file__)",
               cwd=work, env=env).stdout
    assert str(venv) in where and str(REPO) not in where
