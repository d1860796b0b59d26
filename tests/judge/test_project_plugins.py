"""Which pytest plugins the project judge lets load: only the project's own (``ProjectTests.plugins``).

The sandbox's interpreter sees the host's site-packages, whose pytest plugins (this project's anyio,
hypothesis, pytest-benchmark) are not a judged project's: each costs start-up time on every check run.
The tests below ask pytest, inside the real sandbox, which plugins it registered.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from agents.judge import Judge, ProjectTests
from bench.suites._projects_reference import requirement_names

pytestmark = pytest.mark.anyio

PROBE = """\
def test_anyio_plugin(request):
    assert request.config.pluginmanager.has_plugin("anyio")


def test_hypothesis_plugin(request):
    assert request.config.pluginmanager.has_plugin("hypothesispytest")


def test_builtin_plugins_stay(request):
    assert request.config.pluginmanager.has_plugin("python") and request.config.pluginmanager.has_plugin("junitxml")
"""
HOST = {(ep.dist.name if ep.dist else "", ep.name) for ep in entry_points(group="pytest11")}


async def _outcomes(plugins: list[str] | None) -> dict[str, str]:
    tests = ProjectTests.from_text({"tests/test_probe.py": PROBE}, ["tests"], plugins=plugins, test_timeout_s=30.0, timeout_s=120.0)
    score = await Judge().run_project({"pkg/__init__.py": ""}, tests)
    assert score.collection_error is None and not score.tampered, score
    return {t.nodeid.rsplit("::", 1)[1]: t.outcome for t in score.tests}


@pytest.fixture(autouse=True)
def _host_has_both() -> None:
    names = {name for _, name in HOST}
    if not {"anyio", "hypothesispytest"} <= names:
        pytest.skip(f"this host lacks the anyio or hypothesis pytest plugin (has {sorted(names)})")


async def test_none_loads_every_installed_plugin_as_pytest_does() -> None:
    assert await _outcomes(None) == {"test_anyio_plugin": "passed", "test_hypothesis_plugin": "passed", "test_builtin_plugins_stay": "passed"}


async def test_only_the_named_distributions_plugins_load() -> None:
    assert await _outcomes([]) == {"test_anyio_plugin": "failed", "test_hypothesis_plugin": "failed", "test_builtin_plugins_stay": "passed"}
    # Names compare as PEP 503 does: the requirement may spell the distribution in any case or separator.
    assert await _outcomes(["AnyIO", "pytest_cov"]) == {
        "test_anyio_plugin": "passed", "test_hypothesis_plugin": "failed", "test_builtin_plugins_stay": "passed",
    }  # fmt: skip


async def test_a_plugin_list_cannot_smuggle_pytest_options() -> None:
    # The names are only compared with installed distributions: one shaped like an option is just a name nothing has.
    outcomes = await _outcomes(["-p", "no:python", "--collect-only", "hypothesis"])
    assert outcomes == {"test_anyio_plugin": "failed", "test_hypothesis_plugin": "passed", "test_builtin_plugins_stay": "passed"}


def test_requirement_names_are_the_distributions_a_requirements_file_names() -> None:
    lines = ["wrapt<2,>=1.10", "pytest-benchmark", "-r other.txt", "-e .", "setuptools; python_version >='3.12'", "Django[argon2]>=3", "wrapt"]
    assert requirement_names(lines) == ["wrapt", "pytest-benchmark", "setuptools", "Django"]
