"""Property-based tests (Hypothesis ``@given``) under the project judge, in the real sandbox.

Hypothesis replays a failing example under ``sys.settrace`` on Python < 3.12 (its explain phase), and the
guard refuses trace hooks while code under test is on the stack.  A wrong implementation must fail its
``@given`` test, not turn the whole run into ``tampered``; code under test that installs a tracer, or turns
Hypothesis's tracing back on, is still tampering.
"""

from __future__ import annotations

import sys

import pytest

from agents.judge import Judge, ProjectScore, ProjectTests

pytestmark = pytest.mark.anyio

pytest.importorskip("hypothesis")

TESTS = """\
from hypothesis import given, settings, strategies as st

from pkg import add


@given(st.integers(), st.integers())
def test_add_property(a, b):
    assert add(a, b) == a + b


@settings(max_examples=20)
@given(st.integers())
def test_add_zero(a):
    assert add(a, 0) == a


def test_add_plain():
    assert add(1, 2) == 3
"""

RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a + b + (a > 5)\n"


async def _run(source: str, tests: str = TESTS, plugins: list[str] | None = None) -> ProjectScore:
    project = ProjectTests.from_text({"tests/test_add.py": tests}, ["tests"], plugins=plugins, test_timeout_s=60.0, timeout_s=180.0)
    return await Judge().run_project({"pkg/__init__.py": source}, project)


def _outcomes(score: ProjectScore) -> dict[str, str]:
    return {t.nodeid.rsplit("::", 1)[1]: t.outcome for t in score.tests}


@pytest.mark.parametrize("plugins", [None, [], ["hypothesis"]], ids=["all-plugins", "no-plugins", "hypothesis-plugin"])
async def test_a_wrong_implementation_fails_its_property_test_not_the_run(plugins: list[str] | None) -> None:
    score = await _run(WRONG, plugins=plugins)
    assert not score.tampered, score.tampered
    assert _outcomes(score) == {"test_add_property": "failed", "test_add_zero": "failed", "test_add_plain": "passed"}
    failed = next(t for t in score.tests if t.nodeid.endswith("test_add_property"))
    assert "a=6" in (failed.message or "")  # Hypothesis's shrunk example reached the report


async def test_a_right_implementation_passes() -> None:
    score = await _run(RIGHT, plugins=[])
    assert not score.tampered and _outcomes(score) == {"test_add_property": "passed", "test_add_zero": "passed", "test_add_plain": "passed"}


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Hypothesis traces with sys.monitoring from Python 3.12")
async def test_code_that_turns_tracing_back_on_is_tampering() -> None:
    hostile = (
        "import hypothesis.core\n"
        "hypothesis.core.StateForActualGivenExecution._should_trace = lambda self: True\n" + WRONG
    )  # fmt: skip
    score = await _run(hostile, plugins=[])
    assert score.tampered and any("settrace" in t for t in score.tampered), score.tampered


async def test_code_that_installs_its_own_tracer_is_still_tampering() -> None:
    hostile = "import sys\n\ndef add(a, b):\n    sys.settrace(lambda *args: None)\n    return a + b\n"
    score = await _run(hostile, plugins=[])
    assert score.tampered and any("settrace" in t for t in score.tampered), score.tampered


async def test_tests_that_do_not_use_hypothesis_do_not_import_it() -> None:
    # The probe must not spell the name itself: any mention in a test file imports it.
    probe = "import sys\n\nfrom pkg import add\n\n\ndef test_untouched():\n    assert add(1, 1) == 2 and 'hypo' + 'thesis.core' not in sys.modules\n"
    score = await _run(RIGHT, tests=probe, plugins=[])
    assert not score.tampered and _outcomes(score) == {"test_untouched": "passed"}
