"""The replay world rule: fixed by ClassEval's ground truth, never by the classifier, the plan or the mode.

``replay`` answers a method from the incremental recording only when the prompt
showed the committed code of every method ClassEval's ``method_dependencies``
lists for it (and of at least one other method).  These tests check the rule on
the data, and that what a classifier predicts (which changes the prompt's
wording: dependencies first, "Not implemented yet: ...") cannot change which
recording a prompt draws.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from agents.coupling import OracleClassifier, get_classifier
from agents.models import LatencyConfig, ModelRequest, ReplayConfig, ReplayModel, ground_truth_deps
from agents.models._replay import world_strategy
from agents.roles._prompt import build_context
from crdt_ws import TodoEntry, TodoStatus

FILTER = "AccessGatewayFilter"
DEPS = (f"{FILTER}.is_start_with", f"{FILTER}.get_jwt_user", f"{FILTER}.set_current_user_info_and_log")


@pytest.fixture
def model(classeval_data: Path) -> ReplayModel:
    return ReplayModel(ReplayConfig(recording="GPT-4-Turbo", data_dir=classeval_data, latency=LatencyConfig(profile="instant")))


def test_ground_truth_is_read_from_the_benchmark_data(classeval_data: Path) -> None:
    truth = ground_truth_deps(classeval_data)
    assert truth["ClassEval_0"][f"{FILTER}.filter"] == frozenset(DEPS)
    assert truth["ClassEval_0"][f"{FILTER}.is_start_with"] == frozenset()
    raw = json.loads((classeval_data / "ClassEval_data.json").read_text())
    assert len(truth) == len(raw) == 100
    # Only the class's own methods count, and never the method itself.
    for task in raw:
        deps = truth[task["task_id"]]
        assert set(deps) == {f"{task['class_name']}.{m['method_name']}" for m in task["methods_info"]}
        assert all(symbol not in needed and needed <= set(deps) for symbol, needed in deps.items())


def test_incremental_only_with_every_ground_truth_dependency_in_view(model: ReplayModel) -> None:
    def drawn(symbol: str, *shown: str) -> str:
        return model.reply(ModelRequest(task_id="ClassEval_0", symbol=symbol, shown=shown)).source

    target = f"{FILTER}.filter"
    assert "method_C" in drawn(target)  # nothing in view
    for k in range(len(DEPS)):
        for some in itertools.combinations(DEPS, k):
            assert "method_C" in drawn(target, *some), some  # a dependency missing
    assert "method_I" in drawn(target, *DEPS)
    assert "method_I" in drawn(target, *DEPS, "Elsewhere.thing")
    # No dependencies: one other method in view is enough; itself or another class's code is not.
    assert "method_I" in drawn(DEPS[0], DEPS[1])
    assert "method_C" in drawn(DEPS[0], DEPS[0], "OtherClass.method")


def test_the_request_carries_nothing_of_the_classifier_plan_or_mode() -> None:
    fields = set(ModelRequest.model_fields)
    assert not fields & {"saw_dependencies", "deps", "missing", "plan", "mode", "classifier", "predicted"}, fields


@pytest.mark.parametrize("done_count", [0, 1, 2, 3, 4])
def test_swapping_the_classifier_cannot_change_the_draw(model: ReplayModel, classeval_data: Path, done_count: int) -> None:
    """Same committed code on the replica, different predicted deps: different prompts, the same recording."""
    task = next(t for t in json.loads((classeval_data / "ClassEval_data.json").read_text()) if t["task_id"] == "ClassEval_0")
    symbols = [f"{FILTER}.{m['method_name']}" for m in task["methods_info"]]
    ids = {s: f"t{i}" for i, s in enumerate(symbols)}
    outline = task["skeleton"]
    truth = {s: sorted(d) for s, d in ground_truth_deps(classeval_data)["ClassEval_0"].items()}
    # Four classifiers: the ground truth, the static one, one that predicts nothing, one that predicts everything.
    predicted = {
        "oracle": OracleClassifier(truth).classify(outline).deps,
        "static": get_classifier("static").classify(outline).deps,
        "nothing": {s: [] for s in symbols},
        "everything": {s: [o for o in symbols if o != s] for s in symbols},
    }
    # Commit the first `done_count` methods in an order where filter comes last.
    order = [*DEPS, f"{FILTER}.filter"]
    done = set(order[:done_count])
    for symbol in symbols:
        draws: dict[str, str] = {}
        prompts: set[str] = set()
        for name, deps in predicted.items():
            todos = {
                ids[s]: TodoEntry(
                    id=ids[s],
                    file="f.py",
                    symbol=s,
                    deps=[ids[d] for d in deps.get(s, []) if d in ids],
                    status=TodoStatus.DONE if s in done and s != symbol else TodoStatus.PENDING,
                    result=f"    def {s.split('.')[1]}(self):\n        return {s!r}\n" if s in done else None,
                )
                for s in symbols
            }
            context = build_context(todos[ids[symbol]], task_id="ClassEval_0", spec="", outline=outline, todos=todos)
            prompts.add(context.request.messages[0].content)
            draws[name] = model.reply(context.request).source
            assert draws[name].split("_greedy")[0].endswith(world_strategy(symbol, context.shown, ground_truth_deps(classeval_data)["ClassEval_0"]))
        assert len(set(draws.values())) == 1, (symbol, draws)
        if symbol == f"{FILTER}.filter" and 0 < done_count < 3:
            assert len(prompts) > 1  # the classifiers did change the prompt, and still not the draw
    if done_count == 3:
        assert "method_I" in model.reply(ModelRequest(task_id="ClassEval_0", symbol=f"{FILTER}.filter", shown=DEPS)).source


def test_the_old_loophole_is_closed(model: ReplayModel) -> None:
    """A classifier that predicts nothing used to make every call after the first commit incremental."""
    todos = {
        "a": TodoEntry(id="a", file="f.py", symbol=DEPS[0], status=TodoStatus.DONE, result="    def is_start_with(self): ...\n"),
        "f": TodoEntry(id="f", file="f.py", symbol=f"{FILTER}.filter", deps=[]),
    }
    context = build_context(todos["f"], task_id="ClassEval_0", spec="", outline="", todos=todos)
    assert context.missing == () and context.shown == (DEPS[0],)
    assert "method_C" in model.reply(context.request).source
