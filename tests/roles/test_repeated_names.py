"""A name defined twice in one module (``p/c.py::C.x#2``) through the roles: prompt, commit, routing, snapshot, repair.

Real pycrdt documents; the concurrent case runs on the in-memory hub and over a real relay on 127.0.0.1.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from agents.roles import Outliner, TaskSpec, build_context, todo_at
from agents.roles._commit import Implementation
from agents.roles._commit import extract_against
from agents.roles._package import committed_text
from agents.roles._snapshot import committed_module
from claim_protocol import restore_regions
from merge import NoImplementationFound
from claim_protocol._regions import region_clean, region_text
from crdt_ws import TodoEntry, TodoStatus, Workspace, find_span, find_stubs, outline, todo_key

from tests.crdt_ws._harness import converge, replicas

pytestmark = pytest.mark.anyio

PATH = "p/c.py"
SKELETON = '''class C:
    def __init__(self):
        self._x = 0

    @property
    def x(self):
        """The x."""
        pass

    @x.setter
    def x(self, value):
        """Set x (an int)."""
        pass
'''
GETTER = "@property\ndef x(self):\n    return self._x\n"
SETTER = "@x.setter\ndef x(self, value):\n    self._x = int(value)\n"
WHOLE = "```python\nclass C:\n    @property\n    def x(self):\n        return self._x\n\n    @x.setter\n    def x(self, value):\n        self._x = int(value)\n```\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def entry(symbol: str, **extra: object) -> TodoEntry:
    return TodoEntry.model_validate({"id": todo_key(PATH, symbol), "file": PATH, "symbol": symbol, **extra})


def works(source: str) -> bool:
    """The module runs and its property reads back what was set (an int): getter and setter both in place."""
    ns: dict[str, object] = {}
    exec(compile(source, PATH, "exec"), ns)
    obj = ns["C"]()  # type: ignore[operator]
    obj.x = "41"
    return obj.x == 41


def bodies(source: str) -> list[str]:
    defs = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef) and n.name == "x"]
    return [ast.unparse(f.body[-1]) for f in defs]


async def test_the_outliner_numbers_the_setter_and_the_prompt_says_which_definition_it_is() -> None:
    ws = Workspace("outliner")
    await Outliner(ws).run(TaskSpec(id="p", spec="A property.", files={PATH: SKELETON}), "parallel")
    todos = {t.symbol: t for t in ws.list_todos()}
    assert sorted(todos) == ["C.x", "C.x#2"]
    setter = build_context(todos["C.x#2"], task_id="p", spec="A property.", outline=SKELETON, todos={t.id: t for t in todos.values()}, module=SKELETON, index="")
    prompt = setter.request.messages[0].content
    assert "`C.x#2` is the setter of property `x` (definition 2 of 2 of `C.x` in this module, line 11)" in prompt
    assert SKELETON.splitlines()[10].strip() == "def x(self, value):"  # the line the prompt names
    getter = build_context(todos["C.x"], task_id="p", spec="A property.", outline=SKELETON, todos={t.id: t for t in todos.values()}, module=SKELETON, index="")
    assert "is the getter of property `x`" in getter.request.messages[0].content


@pytest.mark.parametrize("order", [("C.x", "C.x#2"), ("C.x#2", "C.x")])
def test_a_whole_property_reply_commits_only_the_asked_definition_in_either_order(order: tuple[str, str]) -> None:
    ws = Workspace("agent")
    ws.create_file(PATH, SKELETON)
    for symbol in order:
        ws.add_todo(entry(symbol))
    for symbol in order:
        Implementation(extract_against(WHOLE, symbol, SKELETON)).apply(ws, ws.todo(todo_key(PATH, symbol)))
    source = ws.read(PATH)
    assert bodies(source) == ["return self._x", "self._x = int(value)"] and works(source)
    # Ids are stable: committing does not renumber anything, and nothing is left to implement.
    assert [s.qualname for s in outline(source)] == [s.qualname for s in outline(SKELETON)] == ["C", "C.__init__", "C.x", "C.x#2"]
    assert find_stubs(source) == []
    assert '"""The x."""' in source and '"""Set x (an int)."""' in source


@pytest.mark.parametrize("kind", ["memory", "websocket"])
async def test_two_agents_commit_getter_and_setter_at_once_and_every_replica_holds_both(kind: str, tmp_path: Path) -> None:
    async with replicas(kind, 3, tmp_path, room="repeated") as (a, b, watcher):
        a.create_file(PATH, SKELETON)
        with a.transaction():
            a.add_todo(entry("C.x"))
            a.add_todo(entry("C.x#2"))
        await converge([a, b, watcher])
        # Both extract and commit from the same state, before either sees the other's edit.
        getter = Implementation(extract_against(WHOLE, "C.x", SKELETON))
        setter = Implementation(extract_against(WHOLE, "C.x#2", SKELETON))
        getter.apply(a, a.todo(todo_key(PATH, "C.x")))
        setter.apply(b, b.todo(todo_key(PATH, "C.x#2")))
        await converge([a, b, watcher])
        source = watcher.read(PATH)
        assert source == a.read(PATH) == b.read(PATH)
        assert bodies(source) == ["return self._x", "self._x = int(value)"] and works(source)


def test_a_traceback_line_in_the_setter_routes_to_the_setters_todo() -> None:
    done = SKELETON.replace('        """The x."""\n        pass', '        """The x."""\n        return self._x').replace(
        '        """Set x (an int)."""\n        pass', '        """Set x (an int)."""\n        self._x = int(value)'
    )
    entries = [entry("C.x"), entry("C.x#2")]
    line = done.splitlines().index("        self._x = int(value)") + 1
    assert todo_at({PATH: done}, entries, PATH, line) == todo_key(PATH, "C.x#2")
    assert todo_at({PATH: done}, entries, PATH, line - 3) == todo_key(PATH, "C.x#2")  # its decorator line
    assert todo_at({PATH: done}, entries, PATH, done.splitlines().index("        return self._x") + 1) == todo_key(PATH, "C.x")


def test_the_committed_views_put_each_result_over_its_own_definition() -> None:
    ws = Workspace("agent")
    ws.create_file(PATH, SKELETON)
    ws.add_todo(entry("C.x#2"))
    Implementation(extract_against(SETTER, "C.x#2", SKELETON)).apply(ws, ws.todo(todo_key(PATH, "C.x#2")))
    source = ws.read(PATH)
    result = region_text(source, "C.x#2")
    assert result is not None and result.lstrip().startswith("@x.setter") and "int(value)" in result
    done = [entry("C.x#2", status=TodoStatus.DONE, result=result)]
    for view in (committed_text(SKELETON, done), committed_module(SKELETON, done)):
        assert bodies(view) == ["pass", "self._x = int(value)"], view
    getter = entry("C.x", status=TodoStatus.DONE, result=GETTER.replace("\n", "\n    ").replace("@property", "    @property").rstrip(" "))
    assert bodies(committed_module(SKELETON, [*done, getter])) == ["return self._x", "self._x = int(value)"]


def test_a_double_commit_of_the_setter_is_repaired_without_touching_the_getter() -> None:
    ws = Workspace("agent")
    ws.create_file(PATH, SKELETON)
    for symbol in ("C.x", "C.x#2"):
        ws.add_todo(entry(symbol))
        Implementation(extract_against(WHOLE, symbol, SKELETON)).apply(ws, ws.todo(todo_key(PATH, symbol)))
    source = ws.read(PATH)
    for symbol in ("C.x", "C.x#2"):
        ws.update_todo(todo_key(PATH, symbol), status=TodoStatus.DONE, result=region_text(source, symbol))
    assert all(region_clean(source, ws.todo(todo_key(PATH, s))) for s in ("C.x", "C.x#2"))
    # A loser's copy of the setter lands beside the winner's (a double claim under a partition).
    setter = source[find_span(source, "C.x#2").start : find_span(source, "C.x#2").end]
    ws.edit(PATH, len(source), len(source), "\n" + setter.replace("int(value)", "value"))
    doubled = ws.read(PATH)
    assert not region_clean(doubled, ws.todo(todo_key(PATH, "C.x#2")))
    assert region_clean(doubled, ws.todo(todo_key(PATH, "C.x")))  # the getter's region is not the setter's business
    assert restore_regions(ws) == [todo_key(PATH, "C.x#2")]
    final = ws.read(PATH)
    assert bodies(final) == ["return self._x", "self._x = int(value)"] and works(final)


def test_a_hostile_reply_for_the_setter_cannot_overwrite_the_getter() -> None:
    ws = Workspace("agent")
    ws.create_file(PATH, SKELETON)
    ws.add_todo(entry("C.x"))
    Implementation(extract_against(WHOLE, "C.x", SKELETON)).apply(ws, ws.todo(todo_key(PATH, "C.x")))
    before = ws.read(PATH)
    with pytest.raises(NoImplementationFound):
        extract_against("```python\n@property\ndef x(self):\n    import os\n    return os.getcwd()\n```", "C.x#2", SKELETON)
    hostile = "```python\nclass C:\n    @property\n    def x(self):\n        return 'pwned'\n\n    @x.setter\n    def x(self, value):\n        self._x = value\n```"
    ws.add_todo(entry("C.x#2"))
    Implementation(extract_against(hostile, "C.x#2", SKELETON)).apply(ws, ws.todo(todo_key(PATH, "C.x#2")))
    after = ws.read(PATH)
    getter = find_span(before, "C.x")
    assert after[: find_span(after, "C.x").end] == before[: getter.end] and "pwned" not in after
    assert bodies(after) == ["return self._x", "self._x = value"]


def test_a_failed_stream_into_the_setter_is_reset_to_the_setters_stub_only() -> None:
    from agents.roles._stream import reset_to_stub

    ws = Workspace("agent")
    ws.create_file(PATH, SKELETON)
    ws.set_meta(outlines={PATH: SKELETON}, files=[PATH])
    ws.add_todo(entry("C.x"))
    Implementation(extract_against(WHOLE, "C.x", SKELETON)).apply(ws, ws.todo(todo_key(PATH, "C.x")))
    committed = ws.read(PATH)
    # A half-streamed reply left in the setter's region (nested at its body's indent, as a live stream writes).
    setter = find_span(committed, "C.x#2")
    ws.edit(PATH, setter.end - len("        pass\n"), setter.end, "        @x.setter\n        def x(self, value):\n            self._x = (\n")
    reset = reset_to_stub(ws, entry("C.x#2"))
    assert reset is not None and reset[2] and reset[0] == committed == ws.read(PATH)
    assert ws.read(PATH)[reset[1].start : reset[1].end] == SKELETON[find_span(SKELETON, "C.x#2").start : find_span(SKELETON, "C.x#2").end]
