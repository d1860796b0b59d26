"""The projects suite's reference check: environment + real judge, and the CLI that reports it.

The default run checks DevEval/particle-swarm-optimization (no requirement
beyond the host's) through ``check_reference`` and the
``bench.micro.projects_reference`` command, with an offline environment
cache in a temp dir.  A reference made to fail is reported with its reason,
never passed.  Projects needing a registry install run under ``-m slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.judge import EnvConfig, Judge, ProjectEnvs
from bench.suites import ProjectsSuite, Task
from bench.suites._projects_reference import check_reference, project_tests

pytestmark = pytest.mark.anyio

PSO = "DevEval/particle-swarm-optimization"


@pytest.fixture(scope="module")
def data_dir() -> Path:
    env = os.environ.get("PROJECTS_DATA")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data" / "projects"
    if not (path / PSO).is_dir():
        pytest.skip(f"projects data not found at {path} (set PROJECTS_DATA)")
    return path


def _task(data_dir: Path, task_id: str) -> Task:
    return ProjectsSuite(data_dir=data_dir, only=[task_id]).load().tasks[0]


def test_project_tests_hold_tests_and_given_files_never_the_reference(data_dir: Path) -> None:
    task = _task(data_dir, PSO)
    tests = project_tests(task, task.test_paths)
    assert tests.kind == "hidden" and tests.test_paths == ["unit_tests"]
    assert {"unit_tests/test_cost_functions.py", "unit_tests/test_pso_simple.py"} <= set(tests.files)
    assert not {m.path for m in task.modules} & set(tests.files)
    assert not any(name.startswith(("check_tests/", "docs/PRD", "acceptance_tests/")) for name in tests.files)
    visible = project_tests(task, task.check_paths, kind="visible")
    assert visible.kind == "visible" and all(not n.startswith("unit_tests/") for n in visible.files)


async def test_reference_passes_and_a_broken_reference_is_reported(data_dir: Path, tmp_path: Path) -> None:
    task = _task(data_dir, PSO)
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True))
    check = await check_reference(task, envs, Judge())
    assert check.ok and check.reason is None, check
    assert check.passed == check.total == 5 and check.pass_rate == 1.0
    assert check.env_key and not check.failed_requirements

    module = next(m for m in task.modules if m.path == "pso/cost_functions.py")
    broken_module = module.model_copy(update={"reference": module.reference.replace("return", "return -1 +", 1)})
    broken = task.model_copy(update={"modules": tuple(broken_module if m is module else m for m in task.modules)})
    bad = await check_reference(broken, envs, Judge())
    assert not bad.ok and bad.reason is not None and "unit tests fail" in bad.reason
    assert bad.passed < bad.total and bad.failing
    assert bad.env_reused  # the same requirements: the cached venv


def test_cli_prints_the_table(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    res = subprocess.run(
        [sys.executable, "-m", "bench.micro.projects_reference", "--data-dir", str(data_dir), "--project", PSO, "--cache-dir", str(tmp_path / "envs"), "--offline", "--markdown", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr
    assert f"| {PSO} | ok |" in res.stdout and "| 5 / 5 (0) | 1.000 |" in res.stdout
    row = json.loads(out.read_text().splitlines()[0])
    assert row["project"] == PSO and row["ok"] is True and row["passed"] == 5


def test_cli_unknown_project_is_one_line_error(data_dir: Path, tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "bench.micro.projects_reference", "--data-dir", str(data_dir), "--project", "DevEval/nope", "--cache-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2 and "DevEval/nope" in res.stderr


@pytest.mark.slow
@pytest.mark.parametrize("task_id", ["DevEval/chakin", "CodeProjectEval/bplustree"])
async def test_reference_passes_in_its_registry_environment(data_dir: Path, task_id: str) -> None:
    """Requirements missing on the host come from the package index into a cached venv."""
    cache = Path(os.environ.get("JUDGE_ENV_CACHE", "~/.cache/crdt-agents/judge-envs")).expanduser()
    check = await check_reference(_task(data_dir, task_id), ProjectEnvs(EnvConfig(cache_dir=cache)), Judge())
    assert check.ok, check.reason
