"""The bundled suite, judged for real: hidden tests, doctests and the scripted model in the sandbox.

Every sandbox run of every task happens once, concurrently, in a module-scoped
fixture; the parametrized tests then check its results per task.
"""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import anyio
import pytest

import merge
from agents.judge import Feedback, HiddenTests, Judge, Score, VisibleChecks
from agents.models import LatencyConfig, ModelRequest, ReferenceSource, ScriptedConfig, ScriptedModel, StreamingModel
from bench.suites import OUTLINE_SYMBOL, SuiteReferences, Task, get_suite
from bench.suites._skeleton import find_function
from crdt_ws import parse_python

SUITE = get_suite("bundled")
IDS = SUITE.ids


@dataclass
class Judged:
    """Sandbox results for one task."""

    reference_score: Score
    reference_feedback: Feedback
    skeleton_feedback: Feedback
    scripted_code: str
    scripted_score: Score
    outline_reply: str


def _hidden(task: Task) -> HiddenTests:
    return HiddenTests(style="unittest", test_source=task.tests, test_classes=task.test_classes, module_name=task.module_name)


async def _scripted_module(model: StreamingModel, task: Task) -> tuple[str, str]:
    """Splice a fault-free scripted reply for every stub into the skeleton (dependencies first shown)."""
    outline = await model.complete(ModelRequest(task_id=task.id, symbol=OUTLINE_SYMBOL))
    code = task.skeleton()
    deps = task.true_dependencies()
    for symbol in task.stubs():
        reply = await model.complete(ModelRequest(task_id=task.id, symbol=symbol, shown=tuple(deps[symbol])))
        assert reply.usage.offline and reply.usage.provider == "scripted" and reply.usage.fault is None
        code = merge.splice(code, symbol, merge.extract(reply.text, symbol)).source
    return code, outline.text


async def _judge_all() -> dict[str, Judged]:
    judge = Judge()
    config = ScriptedConfig(fault_rate=0, blind_fault_rate=0, latency=LatencyConfig(profile="instant"))
    results: dict[str, Judged] = {}
    limiter = anyio.CapacityLimiter(4)

    async def one(model: StreamingModel, task: Task) -> None:
        async with limiter:
            visible = VisibleChecks.from_outline(task.skeleton(), pyright=False, file_name=task.file)
            code, outline = await _scripted_module(model, task)
            results[task.id] = Judged(
                reference_score=await judge.score(task.reference, _hidden(task)),
                reference_feedback=await judge.feedback(task.reference, visible),
                skeleton_feedback=await judge.feedback(task.skeleton(), visible),
                scripted_code=code,
                scripted_score=await judge.score(code, _hidden(task)),
                outline_reply=outline,
            )

    async with ScriptedModel(SuiteReferences(SUITE), config) as model:
        async with anyio.create_task_group() as group:
            for task in SUITE.tasks:
                group.start_soon(one, model, task)
    return results


@pytest.fixture(scope="module")
def judged() -> dict[str, Judged]:
    # Its own thread: anyio's pytest plugin may keep an event loop running in this
    # one between tests (it did in CI, after the async tests of other folders).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, _judge_all).result()


def test_suite_covers_the_promised_mix() -> None:
    tasks = SUITE.tasks
    assert len(tasks) >= 9
    assert sum(t.outline is not None for t in tasks) >= 3, "at least 3 tasks ship outline.py"
    assert sum(t.outline is None for t in tasks) >= 3, "at least 3 tasks use the derived skeleton"
    assert any(all("." not in s for s in t.stubs()) for t in tasks), "a task of top-level functions"
    assert {t.expected_coupling for t in tasks} == {"low", "medium", "high"}
    assert {t.expected_decision for t in tasks} == {"parallel", "waves", "serial"}


@pytest.mark.parametrize("task_id", IDS)
def test_reference_passes_every_hidden_test(judged: dict[str, Judged], task_id: str) -> None:
    score = judged[task_id].reference_score
    assert score.passed, score
    assert [c.name for c in score.test_classes] == SUITE.task(task_id).test_classes
    assert 8 <= sum(c.tests_run for c in score.test_classes) <= 20


@pytest.mark.parametrize("task_id", IDS)
def test_doctests_pass_on_the_reference_and_fail_on_every_stub(judged: dict[str, Judged], task_id: str) -> None:
    task = SUITE.task(task_id)
    on_reference = judged[task_id].reference_feedback
    assert on_reference.clean and on_reference.import_error is None, on_reference
    assert {d.symbol for d in on_reference.doctests} >= set(task.stubs())
    on_skeleton = {d.symbol: d for d in judged[task_id].skeleton_feedback.doctests}
    assert judged[task_id].skeleton_feedback.import_error is None
    for symbol in task.stubs():
        assert on_skeleton[symbol].attempted > 0 and on_skeleton[symbol].failed > 0, f"{symbol}'s examples pass on a stub"


@pytest.mark.parametrize("task_id", IDS)
def test_scripted_model_without_faults_rebuilds_a_passing_module(judged: dict[str, Judged], task_id: str) -> None:
    task = SUITE.task(task_id)
    result = judged[task_id]
    assert result.scripted_score.passed, result.scripted_score
    assert not any(find_function(result.scripted_code, s) is None for s in task.stubs())
    assert task.skeleton() in result.outline_reply  # the outliner's request gets the whole skeleton


@pytest.mark.parametrize("task_id", IDS)
def test_skeleton_keeps_docstrings_signatures_and_state(task_id: str) -> None:
    task = SUITE.task(task_id)
    skeleton, reference = parse_python(task.skeleton()), parse_python(task.reference)
    stubs = task.stubs()
    assert 4 <= len(stubs) <= 9
    for symbol in stubs:
        stub, impl = find_function(skeleton, symbol), find_function(reference, symbol)
        assert stub is not None and impl is not None
        assert ast.get_docstring(stub, clean=False) == ast.get_docstring(impl, clean=False)
        assert ">>>" in (ast.get_docstring(stub) or "")
        assert ast.dump(stub.args) == ast.dump(impl.args)
        assert [ast.dump(d) for d in stub.decorator_list] == [ast.dump(d) for d in impl.decorator_list]
        body = impl.body[1:]
        assert 1 <= body[-1].end_lineno - body[0].lineno + 1 <= 20  # type: ignore[operator]
    for node in ast.walk(reference):
        if isinstance(node, ast.ClassDef):
            for method in ("__init__", "__post_init__"):
                kept = find_function(skeleton, f"{node.name}.{method}")
                impl = find_function(reference, f"{node.name}.{method}")
                assert (kept is None) == (impl is None)
                if kept is not None and impl is not None:
                    assert ast.dump(kept) == ast.dump(impl)


def _depth(deps: dict[str, list[str]]) -> dict[str, int]:
    level: dict[str, int] = {}

    def walk(symbol: str) -> int:
        if symbol not in level:
            level[symbol] = 0  # cycles stop here
            level[symbol] = max((walk(d) + 1 for d in deps[symbol]), default=0)
        return level[symbol]

    for symbol in deps:
        walk(symbol)
    return level


@pytest.mark.parametrize("task_id", IDS)
def test_expected_decision_matches_the_dependency_shape(task_id: str) -> None:
    task = SUITE.task(task_id)
    levels = _depth(task.true_dependencies())
    depth = max(levels.values())
    widths = [list(levels.values()).count(n) for n in range(depth + 1)]
    if task.expected_decision == "parallel":
        assert depth == 0 and task.expected_coupling == "low"
    elif task.expected_decision == "waves":
        assert depth >= 2 and sum(w >= 2 for w in widths) >= 2, widths
    else:
        assert depth >= 3 and depth >= len(levels) - 3, widths  # essentially one chain


def test_true_dependencies_of_the_bank_ledger() -> None:
    assert SUITE.task("bank_ledger").true_dependencies() == {
        "Ledger._account": [],
        "Ledger._record": [],
        "Ledger.open_account": ["Ledger._record"],
        "Ledger.deposit": ["Ledger._account", "Ledger._record"],
        "Ledger.withdraw": ["Ledger._account", "Ledger._record"],
        "Ledger.balance": ["Ledger._account"],
        "Ledger.transfer": ["Ledger._account", "Ledger.deposit", "Ledger.withdraw"],
        "Ledger.apply_interest": ["Ledger.deposit"],
        # `e.balance` reads an Entry field, not Ledger.balance: not a dependency
        "Ledger.statement": ["Ledger._account"],
    }


def test_true_dependencies_of_the_matrix_follow_other_instances() -> None:
    deps = SUITE.task("matrix").true_dependencies()
    assert deps["Matrix.multiply"] == ["Matrix.row", "Matrix.col", "Matrix._dot"]  # other.col(j), Matrix._dot
    assert deps["Matrix.power"] == ["Matrix.identity", "Matrix.multiply"]  # result = result.multiply(self)
    assert deps["Matrix.transpose"] == ["Matrix.col"]
    assert all(deps[s] == [] for s in ("Matrix.row", "Matrix.col", "Matrix._dot", "Matrix.identity", "Matrix.add"))


def test_true_dependencies_of_top_level_functions() -> None:
    assert SUITE.task("markdown_table").true_dependencies() == {
        "split_cells": [],
        "parse_alignment": [],
        "parse_table": ["split_cells", "parse_alignment"],
        "normalise": ["parse_table"],
        "column_widths": [],
        "align_cell": [],
        "format_row": ["align_cell"],
        "render": ["normalise", "column_widths", "format_row"],
    }


def test_suite_references_serve_dedented_code_with_imports_and_dependencies() -> None:
    refs = SuiteReferences(SUITE)
    assert isinstance(refs, ReferenceSource)
    bfs = refs.get("graph", "Graph.bfs")
    assert bfs is not None
    assert bfs.code.startswith("def bfs(self, start: str) -> list[str]:")
    assert bfs.imports == ("from collections import deque",)
    assert bfs.depends_on == ("Graph.neighbours",)
    dot = refs.get("matrix", "Matrix._dot")
    assert dot is not None and dot.code.startswith("@staticmethod\ndef _dot(")
    outline = refs.get("calculator", OUTLINE_SYMBOL)
    assert outline is not None and outline.code == SUITE.task("calculator").skeleton()
    assert refs.get("calculator", "binds_first") is None  # given in the outline, not a stub
    assert refs.get("calculator", "Calculator.nope") is None and refs.get("nope", "Calculator.evaluate") is None
    assert refs.symbols("semver")[-1] == OUTLINE_SYMBOL and "bump" in refs.symbols("semver")
