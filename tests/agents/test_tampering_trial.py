"""End to end: a trial whose replies are all wrong, one of them tampering with the judge, scores 'tampered'.

Every stub of the bundled ``calculator`` gets a wrong body (``return None``)
from an offline model, except one method whose body, when a hidden test calls
it, patches unittest's ``TestResult.addFailure``/``addError`` and clears the
failure lists it can find.  Before the judge's guard this trial's row said
``passed: true``, 4/4 test classes.
"""

from __future__ import annotations

import ast

import pytest

from agents.judge import Judge
from agents.models import DictReferences, ScriptedConfig, ScriptedModel
from agents.scheduler import SchedulerConfig
from bench._run import task_inputs
from bench._trial import TrialConfig, run_trial
from bench.suites import Suite
from crdt_ws import parse_python

pytestmark = pytest.mark.anyio

_TAMPER = """
    import gc, unittest
    unittest.TestResult.addFailure = lambda *a, **k: None
    unittest.TestResult.addError = lambda *a, **k: None
    try:
        for obj in gc.get_objects():
            if isinstance(obj, unittest.TestResult):
                obj.failures.clear()
                obj.errors.clear()
    except Exception:
        pass
    return None
"""


def _wrong_replies(suite: Suite, task_id: str, tamper_in: str) -> DictReferences:
    task = suite.task(task_id)
    tree = parse_python(task.skeleton())
    replies: dict[tuple[str, str], str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    symbol = f"{node.name}.{item.name}"
                    item.body = [ast.Return(value=ast.Constant(None))]
                    item.decorator_list = []
                    code = ast.unparse(item)
                    if symbol == tamper_in:
                        header = code.splitlines()[0]
                        code = header + "\n" + _TAMPER.strip("\n")
                    replies[(task_id, symbol)] = code
    assert (task_id, tamper_in) in replies
    return DictReferences(replies, name="wrong replies, one tampering")


async def test_a_tampering_method_body_makes_the_row_tampered(suite: Suite) -> None:
    task_id = "calculator"
    model = ScriptedModel(_wrong_replies(suite, task_id, "Calculator.tokenize"), ScriptedConfig.model_validate({"fault_rate": 0.0, "latency": {"profile": "instant", "time_scale": 0.0}}))
    spec, hidden = task_inputs(suite.task(task_id))
    trial = TrialConfig.model_validate({"scheduler": SchedulerConfig(agents=2), "timeout_s": 120})
    async with model:
        row = await run_trial(spec, hidden, "parallel", model, trial, judge=Judge())  # type: ignore[arg-type]
    assert not row.passed
    assert row.verdict == "tampered" and row.tampered, row
    assert row.test_classes_passed == 0 and not any(row.test_verdicts.values())
    assert "fsview" in row.isolation
