"""Per-project environments: real venvs, real pip, offline from a wheel built here.

The wheel is written by the test (a zip with METADATA/WHEEL/RECORD), so pip
installs it with ``--no-index`` and nothing is fetched from the network; the
one registry install is marked slow.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import zipfile
from pathlib import Path

import anyio
import pytest

from agents.judge import EnvConfig, ProjectEnvs
from agents.judge._envs import normalise

pytestmark = pytest.mark.anyio


def _wheel(dest: Path, name: str, version: str, body: str) -> Path:
    """A minimal pure-Python wheel holding ``name/__init__.py``."""
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": body.encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = dest / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    d = tmp_path / "wheels"
    d.mkdir()
    _wheel(d, "judgetoy", "1.0", "VALUE = 42\n")
    return d


def _run(python: str, code: str) -> str:
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


async def test_offline_install_cache_hit_and_bad_requirement(tmp_path: Path, wheels: Path) -> None:
    lines: list[str] = []
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True, find_links=[wheels]), on_progress=lines.append)
    env = await envs.ensure(["judgetoy==1.0", "no-such-package-judge-xyz", "# a comment", ""])
    assert env.installed == ["judgetoy==1.0"]
    assert list(env.failed) == ["no-such-package-judge-xyz"]
    assert "no-such-package-judge-xyz" in env.failed["no-such-package-judge-xyz"] or "No matching distribution" in env.failed["no-such-package-judge-xyz"]
    assert not env.reused
    # The venv's python imports the installed wheel and, through system site-packages, the host's pytest.
    assert _run(env.python, "import judgetoy, pytest; print(judgetoy.VALUE)") == "42"
    assert any(line.startswith("pip install") for line in lines)
    marker = Path(env.path) / "judge-env.json"
    stamp = marker.stat().st_mtime_ns

    # Second call: the cache; pip is not run (no pip line, the wheel dir is even gone) and nothing is rewritten.
    lines.clear()
    for whl in wheels.iterdir():
        whl.unlink()
    again = await envs.ensure(["no-such-package-judge-xyz", "JudgeToy == 1.0"])
    assert again.reused and again.key == env.key and again.python == env.python
    assert again.installed == env.installed and again.failed == env.failed
    assert not any(line.startswith("pip") for line in lines)
    assert marker.stat().st_mtime_ns == stamp


async def test_half_built_env_is_rebuilt_not_used(tmp_path: Path, wheels: Path) -> None:
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True, find_links=[wheels]))
    env = await envs.ensure(["judgetoy"])
    venv = Path(env.path)
    (venv / "judge-env.json").unlink()  # as if the build had been killed before its last step
    (venv / "leftover").write_text("from the killed build")
    lines: list[str] = []
    rebuilt = await ProjectEnvs(envs.config, on_progress=lines.append).ensure(["judgetoy"])
    assert not rebuilt.reused and rebuilt.installed == ["judgetoy"]
    assert not (venv / "leftover").exists()
    assert any("unfinished build" in line for line in lines)


async def test_concurrent_ensure_builds_once(tmp_path: Path, wheels: Path) -> None:
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True, find_links=[wheels]))
    results = []

    async def one() -> None:
        results.append(await envs.ensure(["judgetoy"]))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(one)
    assert sorted(r.reused for r in results) == [False, True, True]
    assert len({r.path for r in results}) == 1


async def test_invalid_lines_are_reported_and_no_requirements_is_fine(tmp_path: Path) -> None:
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True))
    env = await envs.ensure(["-e .", "not a requirement !!", "colorama; python_version < '3'"])
    assert set(env.failed) == {"-e .", "not a requirement !!"}
    assert env.installed == [] and env.skipped == ["colorama; python_version < '3'"]
    assert _run(env.python, "import sys; print(sys.prefix)") == env.path


def test_normalise_merges_spellings() -> None:
    good, bad, skipped = normalise(["Foo_Bar>=1", "foo-bar >= 1", "pytest-cov# Test dependencies", "x==1 ; python_version >= '3'", "datetime", "typing"])
    assert good == ["foo-bar>=1", "pytest-cov", "x==1"] and bad == {}
    assert skipped == ["datetime", "typing"]  # standard-library names: PyPI's namesakes are other packages


@pytest.mark.slow
async def test_registry_install(tmp_path: Path) -> None:
    """A real install from the package index (the machine reaches PyPI)."""
    envs = ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs"))
    env = await envs.ensure(["rwlock"])
    assert env.installed == ["rwlock"] and not env.failed
    _run(env.python, "import rwlock")
    assert (await envs.ensure(["rwlock"])).reused


async def test_the_sandbox_runs_tests_with_the_env_and_sees_its_packages(tmp_path: Path, wheels: Path) -> None:
    """A package installed only into the venv is importable by the judged tests, read-only."""
    from agents.judge import Judge, ProjectTests

    env = await ProjectEnvs(EnvConfig(cache_dir=tmp_path / "envs", offline=True, find_links=[wheels])).ensure(["judgetoy"])
    test = (
        b"import os, judgetoy\n\n"
        b"def test_value():\n    assert judgetoy.VALUE == 42\n\n"
        b"def test_env_is_read_only():\n    assert not os.access(os.path.dirname(judgetoy.__file__), os.W_OK)\n"
    )
    sources = {"pkg/__init__.py": "X = 1\n"}
    score = await Judge().run_project(sources, ProjectTests(files={"tests/test_env.py": test}, test_paths=["tests"], python=env.python))
    assert score.passed == score.total == 2, score
    without = await Judge().run_project(sources, ProjectTests(files={"tests/test_env.py": test}, test_paths=["tests"]))
    assert without.passed == 0 and without.collection_error is not None and "judgetoy" in without.collection_error
