"""Libraries that call ``sys.settrace`` from a project's tests, under the project judge in the real sandbox.

The guard refuses trace hooks while code under test is on the stack (a trace function can jump over a
test's ``assert``).  Two libraries call it legitimately from inside a test: Hypothesis replays a failing
``@given`` example under a tracer on Python < 3.12 (its explain phase), and ``doctest.testmod`` puts back the
trace function it found when it ends.  Neither may turn the run into ``tampered``; code under test that
installs a tracer, turns Hypothesis's tracing back on or smuggles a tracer through doctest still does.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

import pytest

from agents.judge import Judge, ProjectScore, ProjectTests

pytestmark = pytest.mark.anyio

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


needs_hypothesis = pytest.mark.skipif(find_spec("hypothesis") is None, reason="Hypothesis is not installed")


async def _run(source: str, tests: str = TESTS, plugins: list[str] | None = None) -> ProjectScore:
    project = ProjectTests.from_text({"tests/test_add.py": tests}, ["tests"], plugins=plugins, test_timeout_s=60.0, timeout_s=180.0)
    return await Judge().run_project({"pkg/__init__.py": source}, project)


def _outcomes(score: ProjectScore) -> dict[str, str]:
    return {t.nodeid.rsplit("::", 1)[1]: t.outcome for t in score.tests}


@needs_hypothesis
@pytest.mark.parametrize("plugins", [None, [], ["hypothesis"]], ids=["all-plugins", "no-plugins", "hypothesis-plugin"])
async def test_a_wrong_implementation_fails_its_property_test_not_the_run(plugins: list[str] | None) -> None:
    score = await _run(WRONG, plugins=plugins)
    assert not score.tampered, score.tampered
    assert _outcomes(score) == {"test_add_property": "failed", "test_add_zero": "failed", "test_add_plain": "passed"}
    failed = next(t for t in score.tests if t.nodeid.endswith("test_add_property"))
    assert "a=6" in (failed.message or "")  # Hypothesis's shrunk example reached the report


@needs_hypothesis
async def test_a_right_implementation_passes() -> None:
    score = await _run(RIGHT, plugins=[])
    assert not score.tampered and _outcomes(score) == {"test_add_property": "passed", "test_add_zero": "passed", "test_add_plain": "passed"}


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Hypothesis traces with sys.monitoring from Python 3.12")
@needs_hypothesis
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


@needs_hypothesis
async def test_tests_that_do_not_use_hypothesis_do_not_import_it() -> None:
    # The probe must not spell the name itself: any mention in a test file imports it.
    probe = "import sys\n\nfrom pkg import add\n\n\ndef test_untouched():\n    assert add(1, 1) == 2 and 'hypo' + 'thesis.core' not in sys.modules\n"
    score = await _run(RIGHT, tests=probe, plugins=[])
    assert not score.tampered and _outcomes(score) == {"test_untouched": "passed"}


DOCTESTED = '''def add(a, b):
    """Add two numbers.

    >>> add(1, 2)
    3
    """
    return a + b
'''
DOCTEST_TESTS = """\
import doctest

import pkg


def test_doctests():
    failures, tried = doctest.testmod(pkg)
    assert tried == 1 and failures == 0
"""


async def test_a_test_that_runs_doctest_testmod_is_judged_not_tampered() -> None:
    score = await _run(DOCTESTED, tests=DOCTEST_TESTS, plugins=[])
    assert not score.tampered and _outcomes(score) == {"test_doctests": "passed"}
    wrong = await _run(DOCTESTED.replace("return a + b", "return a - b"), tests=DOCTEST_TESTS, plugins=[])
    assert not wrong.tampered and _outcomes(wrong) == {"test_doctests": "failed"}


async def test_a_tracer_smuggled_through_doctest_is_tampering() -> None:
    # doctest puts back what sys.gettrace() said at its start: code under test makes that a tracer of its own.
    hostile = "import sys\n\nsys.gettrace = lambda: (lambda frame, event, arg: None)\n\n" + DOCTESTED
    score = await _run(hostile, tests=DOCTEST_TESTS, plugins=[])
    assert score.tampered and any("settrace" in t for t in score.tampered), score.tampered


async def test_a_tracer_set_from_inside_a_doctest_example_is_tampering() -> None:
    hostile = DOCTESTED.replace(">>> add(1, 2)", ">>> import sys; sys.settrace(lambda *a: None); add(1, 2)")
    score = await _run(hostile, tests=DOCTEST_TESTS, plugins=[])
    assert score.tampered and any("settrace" in t for t in score.tampered), score.tampered
