"""End to end: a project whose modules define names twice (property setters) is built by several implementers.

python-hl7 has 16 such TODOs of its 109 (``File.header`` and ``File.header#2``, ...).  Before occurrence
numbering reached spans and splices, every ``#2`` one ended failed.  Ground truth is the reference modules.
"""

from __future__ import annotations

import ast

import pytest

from bench.suites import Suite
from crdt_ws import TodoStatus, WebsocketTransport, split_occurrence

from .test_multi_file import run_project


def same_code(a: str, b: str) -> bool:
    """Same syntax tree, function docstrings aside (the skeleton gives a stub without one the design's text)."""

    def key(source: str) -> str:
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) > 1:
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                    node.body = node.body[1:]
        return ast.dump(tree)

    return key(a) == key(b)

pytestmark = pytest.mark.anyio


@pytest.mark.slow
async def test_python_hl7_with_its_property_setters_is_built_to_its_reference(projects: Suite, relay_transport: WebsocketTransport) -> None:
    task = projects.task("CodeProjectEval/python-hl7")
    numbered = [t for t in task.todos() if split_occurrence(t.symbol)[1] > 1]
    assert len(numbered) == 8, "the data's setters (else this checks nothing new)"
    result, _ = await run_project(task, projects, relay_transport, fault_rate=0.0, agents=4)
    assert result.phase == "finished"
    by_id = {t.id: t for t in result.todos}
    assert sorted(by_id) == sorted(t.id for t in task.todos())
    assert all(t.status == TodoStatus.DONE and t.verdict == "pass" for t in result.todos), [(t.id, t.status, t.verdict) for t in result.todos if t.verdict != "pass"]
    for todo in numbered:
        assert (by_id[todo.id].result or "").lstrip().startswith(f"@{todo.symbol.split('.')[-1].split('#')[0]}.setter"), todo.id
    for module in task.modules:
        assert same_code(result.sources[module.path], module.reference), module.path


PACKAGE = {
    "shop/__init__.py": "",
    "shop/item.py": '''from typing import overload


class Item:
    def __init__(self, price):
        self._price = price

    @property
    def price(self):
        """The price in cents."""
        pass

    @price.setter
    def price(self, value):
        """Set the price; negative is refused with ValueError."""
        pass

    @overload
    def scaled(self, by: int) -> int: ...
    @overload
    def scaled(self, by: float) -> float: ...
    def scaled(self, by):
        """The price times ``by``."""
        pass
''',
}
ANSWERS = {
    "Item.price": "@property\ndef price(self):\n    return self._price\n",
    "Item.price#2": "@price.setter\ndef price(self, value):\n    if value < 0:\n        raise ValueError(value)\n    self._price = value\n",
    "Item.scaled#3": "def scaled(self, by):\n    return self._price * by\n",
}


async def test_a_synthetic_package_with_a_setter_and_overloads_commits_every_todo(relay_transport: WebsocketTransport) -> None:
    from agents.judge import Judge, PyrightServer
    from agents.models import DictReferences, Reference, ScriptedConfig, ScriptedModel
    from agents.roles import TaskSpec
    from agents.scheduler import SchedulerConfig
    from agents.team import TeamConfig, run_task

    stubs = {"shop/item.py": list(ANSWERS)}  # the overload signatures are placeholders, not TODOs, as the suite lists them
    refs = DictReferences({("shop", f"shop/item.py::{s}"): Reference(code=code) for s, code in ANSWERS.items()})
    model = ScriptedModel(refs, ScriptedConfig.model_validate({"fault_rate": 0.0, "blind_fault_rate": 0.0, "latency": {"profile": "instant", "time_scale": 0.0}}))
    spec = TaskSpec(id="shop", spec="A shop item.", files=PACKAGE, stubs=stubs)
    async with PyrightServer() as pyright:
        result = await run_task(
            spec, model, relay_transport.connect, judge=Judge(pyright=pyright), mode="parallel",
            config=TeamConfig(scheduler=SchedulerConfig(agents=3), timeout_s=120), pyright=pyright,
        )  # fmt: skip
    assert sorted(t.symbol for t in result.todos) == sorted(ANSWERS)
    assert all(t.status == TodoStatus.DONE and t.verdict == "pass" for t in result.todos), [(t.id, t.status, t.verdict) for t in result.todos]
    source = result.sources["shop/item.py"]
    assert source.count("@overload") == 2 and source.count("def scaled(self, by: int) -> int: ...") == 1
    ns: dict[str, object] = {}
    exec(compile(source, "shop/item.py", "exec"), ns)
    item = ns["Item"](250)  # type: ignore[operator]
    item.price = 300
    assert item.price == 300 and item.scaled(2) == 600
    with pytest.raises(ValueError):
        item.price = -1


PRICING = "def validate(value):\n    \"\"\"Raise ValueError for a negative price; return it otherwise.\"\"\"\n    pass\n"


async def test_a_pyright_conflict_in_the_setter_reopens_the_setter_not_the_getter() -> None:
    from agents.judge import Judge, PyrightServer
    from agents.models import LatencyConfig, ModelRequest, OfflineModel, OfflineReply, ProviderInfo
    from agents.roles import JudgeConfig, TaskSpec
    from agents.scheduler import SchedulerConfig
    from agents.team import TeamConfig, run_task
    from crdt_ws import MemoryHub, todo_key

    right = {
        "shop/pricing.py::validate": "def validate(value):\n    if value < 0:\n        raise ValueError(value)\n    return value\n",
        **{f"shop/item.py::{s}": code for s, code in ANSWERS.items()},
    }
    right["shop/item.py::Item.price#2"] = "from shop.pricing import validate\n\n@price.setter\ndef price(self, value):\n    self._price = validate(value)\n"
    wrong = "from shop.pricing import check\n\n@price.setter\ndef price(self, value):\n    self._price = check(value)\n"

    class SetterWrongFirst(OfflineModel):
        def __init__(self) -> None:
            super().__init__(ProviderInfo(provider="scripted", model="test", offline=True, label="test replies (offline)"),
                             latency=LatencyConfig(profile="instant", time_scale=0.0))  # fmt: skip
            self.asked: list[tuple[str, int]] = []

        def reply(self, request: ModelRequest) -> OfflineReply:
            key = str(request.symbol)
            self.asked.append((key, request.attempt))
            bad = key.endswith("#2") and request.attempt == 0
            return OfflineReply(text=f"```python\n{wrong if bad else right[key]}```\n", source="test", fault="unknown import" if bad else None)

    spec = TaskSpec(id="shop", spec="A shop item.", files={**PACKAGE, "shop/pricing.py": PRICING}, stubs={"shop/item.py": list(ANSWERS)})
    model = SetterWrongFirst()
    config = TeamConfig(scheduler=SchedulerConfig(agents=2), judge=JudgeConfig(max_repairs=1), timeout_s=120)
    async with PyrightServer() as pyright, MemoryHub() as hub:
        result = await run_task(spec, model, hub.connect, judge=Judge(pyright=pyright), mode="waves", config=config, pyright=pyright)
    setter = todo_key("shop/item.py", "Item.price#2")
    reopened = [e.todo for e in result.events if e.type == "verdict" and e.data.get("reason") == "conflict"]
    assert reopened == [setter], "the conflict is blamed on the setter's TODO alone"
    assert all(t.verdict == "pass" for t in result.todos) and result.phase == "finished"
    source = result.sources["shop/item.py"]
    assert "check(" not in source and "self._price = validate(value)" in source and "return self._price" in source
