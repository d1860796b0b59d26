"""unittest test classes in the sandbox: per-class status, time limits, crashes."""

from __future__ import annotations

import pytest

from agents.judge import JudgeInputError, classify, run_unittest_classes

pytestmark = pytest.mark.anyio

PROGRAM = '''
import unittest, os, sys

class Calc:
    def add(self, a, b):
        return a + b
    def sub(self, a, b):
        return a + b  # bug

class CalcTestAdd(unittest.TestCase):
    def test_1(self):
        self.assertEqual(Calc().add(1, 2), 3)
    def test_2(self):
        print("noise on stdout must not confuse the runner")
        self.assertEqual(Calc().add(-1, 1), 0)

class CalcTestSub(unittest.TestCase):
    def test_1(self):
        self.assertEqual(Calc().sub(1, 1), 0)
    def test_2(self):
        self.assertEqual(Calc().sub(0, 0), 0)

class CalcTestHang(unittest.TestCase):
    def test_forever(self):
        while True:
            pass

class CalcTestExit(unittest.TestCase):
    def test_exit(self):
        os._exit(3)

class CalcTestAfter(unittest.TestCase):
    def test_after(self):
        self.assertTrue(True)
'''


def test_classify_matches_harness_rules() -> None:
    assert classify(0, 0, 0) == "error"
    assert classify(3, 0, 3) == "error"
    assert classify(3, 0, 0) == "success"
    assert classify(3, 1, 1) == "partial_success"
    assert classify(2, 1, 1) == "fail"


async def test_per_class_outcomes_timeouts_and_crashes() -> None:
    verdict = await run_unittest_classes(
        PROGRAM,
        ["CalcTestAdd", "CalcTestSub", "CalcTestHang", "CalcTestExit", "CalcTestAfter", "CalcTestMissing"],
        class_timeout_s=1.0,
    )
    by = {o.name: o for o in verdict.test_classes}
    assert by["CalcTestAdd"].status == "success" and by["CalcTestAdd"].tests_run == 2
    assert by["CalcTestSub"].status == "partial_success" and by["CalcTestSub"].failures == 1
    assert by["CalcTestSub"].problems[0].test == "test_1" and "AssertionError" in by["CalcTestSub"].problems[0].detail
    assert by["CalcTestHang"].status == "error" and by["CalcTestHang"].timed_out
    assert by["CalcTestExit"].status == "error" and not by["CalcTestExit"].timed_out and by["CalcTestExit"].crash
    # Classes after a timeout and a crash still run, in a fresh process.
    assert by["CalcTestAfter"].status == "success"
    assert by["CalcTestMissing"].status == "error" and "CalcTestMissing" in (by["CalcTestMissing"].crash or "")
    assert not verdict.passed and verdict.passed_classes == 2
    assert len(verdict.sandbox_runs) == 3


async def test_import_error_fails_every_class() -> None:
    verdict = await run_unittest_classes("import unittest\ndef broken(:\n    pass\n", ["A", "B"])
    assert verdict.import_error and "SyntaxError" in verdict.import_error
    assert [o.status for o in verdict.test_classes] == ["error", "error"]


async def test_module_level_infinite_loop_is_bounded() -> None:
    verdict = await run_unittest_classes("while True:\n    pass\n", ["A"], import_timeout_s=1.0, class_timeout_s=0.5)
    assert verdict.test_classes[0].status == "error" and verdict.test_classes[0].timed_out


async def test_bad_arguments() -> None:
    with pytest.raises(JudgeInputError):
        await run_unittest_classes("x = 1", ["A"], module_name="not a module")
    with pytest.raises(JudgeInputError):
        await run_unittest_classes("x = 1", [])
