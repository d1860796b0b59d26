"""The project judge: pytest in the real sandbox, per-test verdicts, and code that tries to forge them.

A small package ``toy`` (two modules, a given data file) with tests in two
directories is judged with a wrong ``add`` (every test of it fails) plus an
attack; each attack must leave no test passed.  The correct package passes on
the same judge (positive control), and so does the real reference of
DevEval/particle-swarm-optimization from the projects data; a broken copy of
it fails with frames pointing at the line that raised.  Every test runs on a
cold sandbox and on a warm one (``Judge.warm_runs``): the same verdicts, the
same attacks refused.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agents.judge import Judge, ProjectScore, ProjectTests, TestOutcome

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve()
DATA = Path(os.environ.get("PROJECTS_DATA") or HERE.parents[3] / "shared" / "data" / "projects")

INIT = "from .core import add, scale\n"
CORE_OK = "def add(a, b):\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
CORE_WRONG = "def add(a, b):\n    return a - b - 1\n\n\ndef scale(x):\n    return add(x, x)\n"
TEST_A = """\
import unittest
from toy import add


class TestAdd(unittest.TestCase):
    def test_small(self):
        self.assertEqual(add(2, 3), 5)

    def test_zero(self):
        self.assertEqual(add(4, 0), 4)
"""
TEST_B = """\
import pathlib
from toy import add, scale


def test_scale():
    assert scale(3) == 6


def test_given_file_is_readable():
    assert pathlib.Path("toy/data.txt").read_text() == "given\\n"
    assert add(1, 1) == 2
"""
FILES = {"tests/a/test_a.py": TEST_A.encode(), "tests/b/test_b.py": TEST_B.encode(), "toy/data.txt": b"given\n"}
NODEIDS = {
    "tests/a/test_a.py::TestAdd::test_small",
    "tests/a/test_a.py::TestAdd::test_zero",
    "tests/b/test_b.py::test_scale",
    "tests/b/test_b.py::test_given_file_is_readable",
}


_judges: list[Judge] = []


@pytest.fixture(autouse=True, params=["cold", "warm"])
async def runs(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """The judge every test of this module uses (``_judge_now``): cold sandboxes, or runs forked from a warm server."""
    judge = Judge()
    _judges.append(judge)
    try:
        if request.param == "cold":
            yield "cold"
            return
        async with judge.warm_runs() as pool:
            if not await pool.ready():
                pytest.skip(f"warm runs are not available here: {pool.unavailable}")
            yield "warm"
    finally:
        _judges.remove(judge)


def _judge_now() -> Judge:
    return _judges[-1]


async def _run(sources: dict[str, str], tests: ProjectTests) -> ProjectScore:
    judge = _judge_now()
    score = await judge.run_project(sources, tests)
    if judge.warm is not None:
        assert "warm" in score.isolation, score.isolation
    return score


def _tests(**options: object) -> ProjectTests:
    return ProjectTests.model_validate({"files": FILES, "test_paths": ["tests"], "test_timeout_s": 20.0, "timeout_s": 120.0, **options})


async def _judge(core: str, **options: object) -> ProjectScore:
    return await _run({"toy/__init__.py": INIT, "toy/core.py": core}, _tests(**options))


def _assert_nothing_passed(score: ProjectScore) -> None:
    assert score.passed == 0 and score.pass_rate == 0.0, score
    assert not any(t.outcome == "passed" for t in score.tests), [(t.nodeid, t.outcome) for t in score.tests]
    assert score.verdict != "passed"


async def test_correct_package_passes_and_wrong_one_fails_with_frames() -> None:
    good = await _judge(CORE_OK)
    assert {t.nodeid for t in good.tests} == NODEIDS
    assert good.passed == good.total == 4 and good.pass_rate == 1.0 and good.verdict == "passed", good
    assert not good.tampered and good.collection_error is None and good.crash is None
    assert "fsview" in good.isolation

    bad = await _judge(CORE_WRONG)
    outcomes = {t.nodeid: t for t in bad.tests}
    assert bad.passed == 0 and bad.total == 4 and not bad.tampered
    assert outcomes["tests/a/test_a.py::TestAdd::test_small"].outcome == "failed"
    assert "AssertionError" in outcomes["tests/a/test_a.py::TestAdd::test_small"].message
    # scale() fails through add(): no frame of its own raised, so the frames name only package lines that ran.
    scale = outcomes["tests/b/test_b.py::test_scale"]
    assert scale.outcome == "failed" and scale.frames == []


async def test_outcomes_are_heard_as_tests_finish_and_match_the_score() -> None:
    heard: list[TestOutcome] = []
    judge = _judge_now()
    score = await judge.run_project({"toy/__init__.py": INIT, "toy/core.py": CORE_WRONG}, _tests(), on_test=heard.append)
    assert [(t.nodeid, t.outcome, t.frames) for t in heard] == [(t.nodeid, t.outcome, t.frames) for t in score.tests]
    assert {t.outcome for t in heard} == {"failed"}


async def test_nothing_is_heard_once_the_channel_is_forged() -> None:
    # The second test writes a forged line on every fd: the run is tampered from then on, and no outcome after the
    # forgery reaches the caller (the score fails every test). Whether the first test's own event was sent before
    # the forgery is the runner's timing; it may be heard, nothing else.
    core = (
        "import os\n\ndef add(a, b):\n    if (a, b) == (4, 0):\n        for fd in range(1, 64):\n            try:\n"
        "                os.write(fd, b'{\"event\": \"test\", \"outcome\": \"passed\"}\\n')\n"
        "            except OSError:\n                pass\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
    )
    heard: list[TestOutcome] = []
    score = await _judge_now().run_project({"toy/__init__.py": INIT, "toy/core.py": core}, _tests(), on_test=heard.append)
    assert score.tampered
    _assert_nothing_passed(score)
    assert [(t.nodeid, t.outcome) for t in heard] in ([], [("tests/a/test_a.py::TestAdd::test_small", "passed")]), heard


async def test_frames_point_at_the_package_line_that_raised() -> None:
    core = "def add(a, b):\n    return a + b\n\n\ndef scale(x):\n    y = add(x, x)\n    raise ValueError(y)\n"
    score = await _judge(core)
    scale = next(t for t in score.tests if t.nodeid == "tests/b/test_b.py::test_scale")
    assert scale.outcome == "failed" and scale.frames == [("toy/core.py", 7)]
    assert score.passed == 3


async def test_collection_error_scores_zero_like_the_benchmark() -> None:
    score = await _judge("def add(a, b:\n    return a\n")
    assert score.collection_error is not None and "SyntaxError" in score.collection_error
    assert score.passed == 0 and score.pass_rate == 0.0


async def test_a_test_module_skipping_itself_counts_once_but_the_package_cannot_skip_tests() -> None:
    files = {**FILES, "tests/b/test_c.py": b"import pytest\npytest.importorskip('no_such_module_judge')\n\ndef test_never():\n    pass\n"}
    score = await _run({"toy/__init__.py": INIT, "toy/core.py": CORE_OK}, ProjectTests(files=files, test_paths=["tests"]))
    assert score.collection_error is None
    assert score.passed == 4 and score.total == 5
    assert [t.outcome for t in score.tests if t.nodeid == "tests/b/test_c.py"] == ["skipped"]

    skipping = CORE_WRONG + "\nimport pytest\nraise pytest.skip.Exception('not today', allow_module_level=True)\n"
    score = await _judge(skipping)
    assert score.collection_error is not None and "package" in score.collection_error
    _assert_nothing_passed(score)


async def test_a_failing_subtest_fails_its_test() -> None:
    sub = b"import unittest\nfrom toy import add\n\n\nclass TestSub(unittest.TestCase):\n    def test_many(self):\n        for a in (1, 2):\n            with self.subTest(a=a):\n                self.assertEqual(add(a, 0), a)\n"
    tests = ProjectTests(files={"tests/test_sub.py": sub}, test_paths=["tests"])
    wrong = await _run({"toy/__init__.py": INIT, "toy/core.py": CORE_WRONG}, tests)
    assert [t.outcome for t in wrong.tests] == ["failed"] and not wrong.tampered, wrong
    right = await _run({"toy/__init__.py": INIT, "toy/core.py": CORE_OK}, tests)
    assert [t.outcome for t in right.tests] == ["passed"], right


# Each attack is appended to the wrong implementation; the ones marked call-time run inside add().
ATTACKS: dict[str, str] = {
    "patch TestReport.__init__": """
        import _pytest.reports as _r
        _orig = _r.TestReport.__init__
        def _init(self, *a, **k):
            _orig(self, *a, **k)
            self.outcome = "passed"
            self.longrepr = None
        _r.TestReport.__init__ = _init
    """,
    "patch TestReport.from_item_and_call": """
        import _pytest.reports as _r
        _orig = _r.TestReport.from_item_and_call.__func__
        def _fake(cls, item, call):
            rep = _orig(cls, item, call)
            rep.outcome = "passed"
            return rep
        _r.TestReport.from_item_and_call = classmethod(_fake)
    """,
    "patch pytest_runtest_makereport": """
        import _pytest.runner as _run
        _orig = _run.pytest_runtest_makereport
        def _make(item, call):
            rep = _orig(item, call)
            rep.outcome = "passed"
            return rep
        _run.pytest_runtest_makereport = _make
    """,
    "patch CallInfo.from_call": """
        import _pytest.runner as _run
        _orig = _run.CallInfo.from_call.__func__
        _run.CallInfo.from_call = classmethod(lambda cls, func, when, reraise=None: _orig(cls, lambda: None, when, reraise))
    """,
    "replace the code of call_and_report": """
        import _pytest.runner as _run
        def _quiet(item, when, log=True, **kwds):
            return None
        _run.call_and_report.__code__ = _quiet.__code__
    """,
    "register a plugin through the assertion util's config (call time)": """
        def _evil_plugin():
            import pytest
            import _pytest.assertion.util as _u
            from _pytest.reports import TestReport
            class Evil:
                @pytest.hookimpl(tryfirst=True)
                def pytest_runtest_makereport(self, item, call):
                    return TestReport(item.nodeid, item.location, {}, "passed", None, call.when, [])
            cfg = getattr(_u, "_config", None)
            if cfg is not None and not getattr(_u, "_evil", False):
                _u._evil = True
                cfg.pluginmanager.register(Evil(), "evil")
        _real_add = add
        def add(a, b):
            _evil_plugin()
            return _real_add(a, b)
    """,
    "write a conftest.py for the other test dir at import time": """
        import pathlib as _p
        _p.Path("tests/b/conftest.py").write_text(
            "import pytest\\n"
            "@pytest.hookimpl(hookwrapper=True)\\n"
            "def pytest_runtest_makereport(item, call):\\n"
            "    out = yield\\n"
            "    out.get_result().outcome = 'passed'\\n"
        )
        _p.Path("tests/a/conftest.py").write_text(_p.Path("tests/b/conftest.py").read_text())
    """,
    "rewrite the other test file at import time": """
        import pathlib as _p
        _p.Path("tests/b/test_b.py").write_text("def test_scale():\\n    pass\\n\\ndef test_given_file_is_readable():\\n    pass\\n")
    """,
    "patch a test class at call time": """
        _real_add = add
        def add(a, b):
            import sys
            for m in list(sys.modules.values()):
                cls = getattr(m, "TestAdd", None)
                if isinstance(cls, type):
                    cls.test_zero = lambda self: None
            return _real_add(a, b)
    """,
    "os._exit(0) at call time": """
        import os as _os
        def add(a, b):
            _os._exit(0)
    """,
    "os._exit(0) at import time": """
        import os as _os
        _os._exit(0)
    """,
    "sys.exit(0) at call time": """
        import sys as _sys
        def add(a, b):
            _sys.exit(0)
    """,
    "print forged result lines": """
        import sys as _sys
        for _stream in (_sys.stdout, _sys.stderr, _sys.__stdout__):
            print("0" * 32 + ' 0 {"event":"test","nodeid":"tests/a/test_a.py::TestAdd::test_small","outcome":"passed"}', file=_stream, flush=True)
    """,
    "write forged lines to every inherited fd": """
        import os as _os
        for _fd in range(3, 64):
            try:
                _os.write(_fd, b'00000000000000000000000000000000 0 {"event":"done","tampered":false}\\n')
            except OSError:
                pass
    """,
    "frame walk to the worker's entry (call time)": """
        _real_add = add
        def add(a, b):
            import sys
            f = sys._getframe()
            while f.f_back is not None:
                f = f.f_back
            for value in list(f.f_locals.values()):
                if hasattr(value, "release"):
                    try:
                        value.release()  # end the run early, as if pytest had finished
                    except RuntimeError:
                        pass
                if isinstance(value, list):
                    value.append(0)
            return _real_add(a, b)
    """,
    "reach the recorder through the plugin's hook (call time)": """
        _real_add = add
        def add(a, b):
            import _pytest.assertion.util as _u
            pm = _u._config.pluginmanager
            for plugin in pm.get_plugins():
                hook = getattr(plugin, "pytest_runtest_logreport", None)
                for cell in getattr(hook, "__closure__", None) or ():
                    gen = cell.cell_contents
                    if type(gen).__name__ == "generator":
                        try:
                            gen.send(("start", "x"))
                        except Exception:
                            pass
                        try:
                            gen.gi_frame.f_locals["queue"].append(("report", "tests/a/test_a.py::TestAdd::test_small", "call", "passed", False, [], ""))
                        except Exception:
                            pass
            return _real_add(a, b)
    """,
    "AST compiled under a library's name, run as a function's code": """
        import ast as _ast, os as _os
        _code = compile(_ast.parse("def f():\\n    return 1\\n"), _os.__file__, "exec").co_consts[0]
        def _g():
            return 0
        _g.__code__ = _code
    """,
    "gc walk for the recorder": """
        import gc as _gc
        for _o in _gc.get_objects():
            if type(_o).__name__ == "generator" and "recorder" in repr(_o):
                _o.gi_frame.f_locals
    """,
}


@pytest.mark.parametrize("name", list(ATTACKS))
async def test_attack_never_passes(name: str) -> None:
    score = await _judge(CORE_WRONG + "\n" + textwrap.dedent(ATTACKS[name]))
    _assert_nothing_passed(score)
    if name.startswith(("patch", "replace", "register", "write", "rewrite", "reach", "AST", "gc")):
        assert score.tampered, score


async def test_reading_data_reference_or_other_tests_is_impossible() -> None:
    # add() is right only when it can read what the sandbox must hide: the data dir, the reference, this checkout.
    secrets = [str(DATA / "DevEval" / "particle-swarm-optimization" / "pso" / "cost_functions.py"), str(HERE), str(HERE.parents[2] / "pyproject.toml"), str(DATA), str(HERE.parent)]
    core = textwrap.dedent(
        f"""
        import os
        SECRETS = {secrets!r}
        def _seen():
            for path in SECRETS:
                try:
                    if os.path.isdir(path):
                        if not os.listdir(path):
                            continue
                    else:
                        open(path).read()
                    return True
                except OSError:
                    pass
            return False
        def add(a, b):
            return a + b if _seen() else a - b - 1
        def scale(x):
            return add(x, x)
        """
    )
    score = await _judge(core)
    _assert_nothing_passed(score)
    assert "fsview" in score.isolation


async def test_a_test_that_sleeps_forever_is_killed_and_the_rest_still_run() -> None:
    core = "import time\n\ndef add(a, b):\n    if (a, b) == (2, 3):\n        time.sleep(10_000)\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
    score = await _judge(core, test_timeout_s=10.0)  # ample for the other tests even under load; the hang is endless
    outcomes = {t.nodeid: t.outcome for t in score.tests}
    assert outcomes["tests/a/test_a.py::TestAdd::test_small"] == "error"
    assert score.crash is not None and "per-test limit" in score.crash
    # The hang cost one test: the others ran in a fresh process and pass.
    assert score.passed == 3 and len(score.sandbox_runs) == 2


async def test_sleeping_at_import_hits_the_run_limit() -> None:
    score = await _judge(CORE_WRONG + "\nimport time\ntime.sleep(10_000)\n", timeout_s=6.0)
    _assert_nothing_passed(score)
    assert score.crash is not None and "timed out" in score.crash


async def test_project_tests_refuse_unsafe_names() -> None:
    from agents.judge import JudgeError

    with pytest.raises(JudgeError):
        await _run({"../escape.py": "x = 1\n"}, _tests())
    with pytest.raises(JudgeError):
        await _run({"toy/data.txt": "clash"}, _tests())


def _pso() -> tuple[dict[str, str], ProjectTests]:
    if not (DATA / "DevEval" / "particle-swarm-optimization").is_dir():
        pytest.skip(f"projects data not found at {DATA} (set PROJECTS_DATA)")
    from bench.suites import ProjectsSuite
    from bench.suites._projects_reference import project_tests

    task = ProjectsSuite(data_dir=DATA, only=["DevEval/particle-swarm-optimization"]).load().tasks[0]
    return {m.path: m.reference for m in task.modules}, project_tests(task, task.test_paths)


async def test_real_reference_passes_and_a_broken_one_fails_at_the_right_line() -> None:
    sources, tests = _pso()
    score = await _run(sources, tests)
    assert score.total == 5 and score.passed == 5 and score.verdict == "passed", score

    broken = dict(sources)
    lines = broken["pso/cost_functions.py"].splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("def sphere"))
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())] + "    "
    lines.insert(at + 1, indent + "raise RuntimeError('broken')")
    broken["pso/cost_functions.py"] = "\n".join(lines) + "\n"
    bad = await _run(broken, tests)
    assert bad.passed < bad.total
    sphere = [t for t in bad.tests if t.outcome == "failed" and ("pso/cost_functions.py", at + 2) in t.frames]
    assert sphere, [(t.nodeid, t.outcome, t.frames) for t in bad.tests]


async def test_a_package_that_hangs_at_import_hits_the_collection_limit_not_the_run_limit() -> None:
    score = await _judge(CORE_OK + "\nimport time\ntime.sleep(10_000)\n", collect_timeout_s=4.0, timeout_s=600.0)
    _assert_nothing_passed(score)
    assert score.collection_error is not None and "collecting the tests exceeded its 4 s limit" in score.collection_error
    assert score.crash is not None and "collection limit" in score.crash
    assert [r.status for r in score.sandbox_runs] == ["stalled"]


@pytest.mark.parametrize("junk", ["b'junk\\n'", "b'junk'"], ids=["line", "prefix"])
async def test_forged_data_then_a_hang_is_tampering_and_lifts_no_limit(junk: str) -> None:
    # The code under test writes junk to every fd it can (the result channel among them), then hangs. A junk line is
    # tampering the moment it arrives and ends the run; junk without a newline waits for the next line (glued to an
    # event, which then fails to verify) or for the process to end (the per-test limit kills it): either way the
    # verdict is 'tampered', the limit is not lifted, and the run is not restarted to let the other tests pass.
    core = (
        "import os, time\n\ndef add(a, b):\n    if (a, b) == (2, 3):\n"
        f"        for fd in range(1, 64):\n            try:\n                os.write(fd, {junk})\n"
        "            except OSError:\n                pass\n        time.sleep(10_000)\n    return a + b\n\n\n"
        "def scale(x):\n    return add(x, x)\n"
    )
    score = await _judge(core, test_timeout_s=10.0, timeout_s=600.0)
    _assert_nothing_passed(score)
    assert score.tampered and [r.status for r in score.sandbox_runs] == ["stalled"]


async def test_a_collection_error_names_the_package_frames_that_raised_at_import() -> None:
    core = "def deco(f):\n    return f.nope\n\n\n@deco\ndef add(a, b):\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
    score = await _judge(core)
    _assert_nothing_passed(score)
    assert score.collection_error is not None and "AttributeError" in score.collection_error
    # Innermost last, the package's own files only (the test module's frame is not the package's).
    assert score.collection_frames == [("toy/__init__.py", 1), ("toy/core.py", 5), ("toy/core.py", 2)]


async def test_a_conftest_that_cannot_import_the_package_is_a_collection_error_with_frames() -> None:
    # pytest reports this one on stderr and exits 4, before any collection report: no test ran, and it must say why.
    core = "def deco(f):\n    return f.nope\n\n\n@deco\ndef add(a, b):\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
    tests = ProjectTests.model_validate({"files": {**FILES, "tests/conftest.py": b"import toy\n"}, "test_paths": ["tests"], "timeout_s": 120.0})
    score = await _run({"toy/__init__.py": INIT, "toy/core.py": core}, tests)
    _assert_nothing_passed(score)
    assert score.collection_error is not None and "exit 4" in score.collection_error and "AttributeError" in score.collection_error
    assert score.collection_frames[-1] == ("toy/core.py", 2)


async def test_the_row_summary_of_a_collection_error_ends_with_the_exception_itself() -> None:
    # pyjwt's 0% row said only "ImportError while importing test module ... Hint: make sure your test modules ...":
    # pytest's hint and a long traceback come first, the exception line last.
    chain = "".join(f"def f{i}():\n    return f{i + 1}()\n\n\n" for i in range(60))
    core = chain + "def f60():\n    return RSAPSSAlgorithms\n\n\nf0()\n\n\ndef add(a, b):\n    return a + b\n\n\ndef scale(x):\n    return add(x, x)\n"
    score = await _judge(core)
    _assert_nothing_passed(score)
    assert score.collection_error is not None and len(score.collection_error) > 2000
    summary = score.collection_summary()
    assert summary is not None and len(summary) <= 400
    assert summary.splitlines()[0].startswith("tests/") and summary.rstrip().endswith("NameError: name 'RSAPSSAlgorithms' is not defined")
