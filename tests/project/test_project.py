"""Project folders: init, discovery from the current folder or --project, chipcast.toml."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from chipcast import cli
from chipcast.config import RunConfig
from chipcast.errors import UsageError
from chipcast.inputs import available_scenarios
from chipcast.project import CONFIG_NAME, SHIPPED_DATA, find_project, init_project, load_project

REPO = Path(__file__).resolve().parents[2]


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_writes_the_shipped_inputs_settings_and_outputs_folder(tmp_path: Path) -> None:
    project = init_project(tmp_path / "proj")
    root = tmp_path / "proj"
    # the repository's data/ (what developers edit) is what a new project gets, byte for byte
    assert _tree(root / "data") == _tree(REPO / "data")
    assert not (root / "data").is_symlink() and (root / "forecasts").is_dir()
    assert project.root == root.resolve() and project.data_dir == (root / "data").resolve()
    assert project.out_dir == (root / "forecasts").resolve()
    assert (project.cron, project.timezone) == ("0 6 * * *", "UTC")
    assert project.run == {"scenarios": [], "draws": 32768, "seed": 20231, "sampler": "sobol",
                           "sensitivity_n": 512}
    with pytest.raises(UsageError, match="already a chipcast project"):
        init_project(root)


def test_the_project_is_found_from_a_subfolder_or_named_explicitly(tmp_path: Path) -> None:
    init_project(tmp_path / "p")
    deep = tmp_path / "p" / "data" / "scenarios"
    assert find_project(start=deep, env={}).root == (tmp_path / "p").resolve()
    assert find_project(tmp_path / "p" / CONFIG_NAME, env={}).root == (tmp_path / "p").resolve()
    assert find_project(env={"CHIPCAST_PROJECT": str(tmp_path / "p")},
                        start=tmp_path).root == (tmp_path / "p").resolve()
    with pytest.raises(UsageError, match="no chipcast project found in"):
        find_project(start=tmp_path, env={})
    with pytest.raises(UsageError, match="has no chipcast.toml"):
        find_project(tmp_path, env={})


def test_chipcast_toml_sets_run_defaults_and_names_its_mistakes(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / CONFIG_NAME).write_text(
        '[project]\nout_dir = "out"\n[run]\nscenarios = ["base"]\ndraws = 64\nseed = 7\n'
        '[schedule]\ntimezone = "Asia/Shanghai"\n', encoding="utf-8")
    project = load_project(tmp_path)
    assert project.out_dir == (tmp_path / "out").resolve() and project.timezone == "Asia/Shanghai"
    cfg = RunConfig.from_sources(None, {}, project=project)
    assert (cfg.scenarios, cfg.draws, cfg.seed, cfg.out_dir) == (("base",), 64, 7,
                                                                 project.out_dir)
    # the command line and CHIPCAST_* still win over the file
    over = RunConfig.from_sources(type("A", (), {"draws": 0})(), {"CHIPCAST_SEED": "9"},
                                  project=project)
    assert (over.draws, over.seed) == (0, 9)
    (tmp_path / CONFIG_NAME).write_text("[run]\ndrawz = 5\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"chipcast.toml: unknown key 'drawz' in \[run\]"):
        load_project(tmp_path)
    (tmp_path / CONFIG_NAME).write_text('[run]\ndraws = "many"\n', encoding="utf-8")
    with pytest.raises(UsageError, match="draws must be an integer"):
        load_project(tmp_path)


def test_an_unknown_scenario_is_a_usage_error_naming_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown scenario 'nope'.*seed-2023"):
        RunConfig.from_sources(type("A", (), {"scenarios": ["base", "nope"]})(), {},
                               shipped=available_scenarios)


def test_validate_in_a_project_writes_there_not_into_the_checkout(tmp_path: Path) -> None:
    """Run as a user would, from the project folder: the GX results land in the project."""
    init_project(tmp_path / "p")
    repo_validation = REPO / "forecasts" / "validation" / "inputs-seed-2023.json"
    before = repo_validation.stat().st_mtime_ns if repo_validation.exists() else None
    done = subprocess.run([sys.executable, "-m", "chipcast.cli", "validate", "--scenario",
                           "seed-2023"], cwd=tmp_path / "p", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p" / "forecasts" / "validation" / "inputs-seed-2023.json").is_file()
    after = repo_validation.stat().st_mtime_ns if repo_validation.exists() else None
    assert after == before


def test_commands_outside_a_project_say_so_and_exit_2(tmp_path: Path, capsys,
                                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CHIPCAST_PROJECT", raising=False)
    for argv in (["run", "--draws", "0"], ["validate"], ["query", "SELECT 1"],
                 ["serve"]):
        assert cli.main(argv) == 2, argv
        assert "no chipcast project found" in capsys.readouterr().err, argv
    assert cli.main(["init", str(tmp_path / "new")]) == 0
    assert "created a chipcast project" in capsys.readouterr().out
    assert cli.main(["init", str(tmp_path / "new")]) == 2
    assert sorted(available_scenarios(tmp_path / "new" / "data")) == sorted(
        available_scenarios(SHIPPED_DATA))
