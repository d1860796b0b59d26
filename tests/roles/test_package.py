"""Multi-file pieces on their own: TODO keys, the package outliner, the implementer's context, routing to TODOs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agents.judge import SemanticConflict
from agents.roles import NoTodos, Outliner, OutlineError, TaskSpec, build_context, outline_of, todo_at
from agents.roles._package import model_symbol, package_index
from agents.roles._package_judge import route_conflicts
from crdt_ws import TodoEntry, TodoStatus, Workspace, split_todo_key, todo_key

pytestmark = pytest.mark.anyio

MODELS = '''class Node:
    def __init__(self, key):
        """Hold key."""
        pass

    def size(self):
        """How many keys."""
        pass
'''
TREE = '''from pkg.models import Node


class Tree:
    def __init__(self):
        """An empty tree."""
        pass

    def insert(self, key):
        """Add key (uses Node)."""
        pass


def build(keys):
    """A tree holding keys."""
    pass
'''


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_todo_keys_round_trip_and_refuse_the_separator() -> None:
    assert todo_key("pkg/a.py", "Cls.m#2") == "pkg/a.py::Cls.m#2"
    assert split_todo_key("pkg/a.py::Cls.m#2") == ("pkg/a.py", "Cls.m#2")
    assert split_todo_key("Cls.m") == (None, "Cls.m")  # single-file ids are the symbol
    with pytest.raises(ValueError, match="::"):
        todo_key("a::b.py", "f")


def test_a_spec_is_single_file_or_a_package() -> None:
    with pytest.raises(ValidationError, match="file"):
        TaskSpec(id="t", spec="s")
    assert TaskSpec(id="t", spec="s", files={"a.py": "x = 1\n"}).is_multi_file
    assert not TaskSpec(id="t", spec="s", file="a.py").is_multi_file


async def test_the_outliner_publishes_every_module_and_one_todo_per_stub_across_files() -> None:
    ws = Workspace("outliner")
    spec = TaskSpec(id="pkg", spec="A tree.", files={"pkg/models.py": MODELS, "pkg/tree.py": TREE, "pkg/__init__.py": ""})
    plan = await Outliner(ws).run(spec, "waves")
    assert ws.paths() == ["pkg/__init__.py", "pkg/models.py", "pkg/tree.py"]
    assert ws.read("pkg/tree.py") == TREE
    todos = {t.id: t for t in ws.list_todos()}
    assert sorted(todos) == sorted(
        [todo_key("pkg/models.py", s) for s in ("Node.__init__", "Node.size")]
        + [todo_key("pkg/tree.py", s) for s in ("Tree.__init__", "Tree.insert", "build")]
    )
    assert all((t.file, t.symbol) == split_todo_key(t.id) for t in todos.values())
    meta = ws.get_meta()
    assert meta["files"] == ["pkg/models.py", "pkg/tree.py", "pkg/__init__.py"] and meta["outline"] == ""
    assert outline_of(meta, "pkg/models.py") == MODELS and outline_of(ws.meta, "pkg/tree.py") == TREE
    assert set(plan.order) == set(todos) and all(d in todos for deps in plan.deps.values() for d in deps)
    for key, deps in plan.deps.items():
        assert todos[key].deps == deps and all(d in todos for d in deps)


async def test_a_given_stub_list_is_the_todo_list_and_must_name_the_task_files() -> None:
    ws = Workspace("outliner")
    files = {"pkg/models.py": MODELS, "pkg/tree.py": TREE}
    await Outliner(ws).run(TaskSpec(id="pkg", spec="s", files=files, stubs={"pkg/tree.py": ["build"]}), "parallel")
    assert sorted(t.id for t in ws.list_todos()) == ["pkg/models.py::Node.__init__", "pkg/models.py::Node.size", "pkg/tree.py::build"]
    with pytest.raises(OutlineError, match="pkg/ghost.py"):
        await Outliner(Workspace("o")).run(TaskSpec(id="pkg", spec="s", files=files, stubs={"pkg/ghost.py": ["f"]}), "parallel")


async def test_a_repeated_name_gets_the_suites_numbering_so_ids_stay_unique() -> None:
    twice = "class C:\n    @property\n    def x(self):\n        pass\n\n    @x.setter\n    def x(self, v):\n        pass\n"
    ws = Workspace("outliner")
    await Outliner(ws).run(TaskSpec(id="p", spec="s", files={"p/c.py": twice}), "auto")
    assert sorted(t.id for t in ws.list_todos()) == ["p/c.py::C.x", "p/c.py::C.x#2"]


async def test_a_package_without_stubs_or_with_a_broken_module_is_refused_naming_it() -> None:
    with pytest.raises(NoTodos, match="2 modules"):
        await Outliner(Workspace("o")).run(TaskSpec(id="p", spec="s", files={"a.py": "x = 1\n", "b.py": ""}), "parallel")
    with pytest.raises(OutlineError, match="b.py"):
        await Outliner(Workspace("o")).run(TaskSpec(id="p", spec="s", files={"a.py": MODELS, "b.py": "def f(:\n"}), "parallel")


def test_the_context_shows_the_file_as_committed_other_files_deps_with_their_path_and_an_index() -> None:
    node = TodoEntry(id=todo_key("pkg/models.py", "Node.__init__"), file="pkg/models.py", symbol="Node.__init__",
                     status=TodoStatus.DONE, result="    def __init__(self, key):\n        self.key = key\n")  # fmt: skip
    build_ = TodoEntry(id=todo_key("pkg/tree.py", "build"), file="pkg/tree.py", symbol="build", status=TodoStatus.DONE,
                       result="def build(keys):\n    return Tree()\n")  # fmt: skip
    insert = TodoEntry(id=todo_key("pkg/tree.py", "Tree.insert"), file="pkg/tree.py", symbol="Tree.insert", deps=[node.id])
    committed_tree = TREE.replace("    pass\n\n\n", "    return Tree()\n\n\n")
    ctx = build_context(
        insert, task_id="pkg", spec="A tree.", outline=TREE, todos={t.id: t for t in (node, build_, insert)},
        module=committed_tree, index=package_index({"pkg/models.py": MODELS, "pkg/tree.py": TREE}, skip="pkg/tree.py"),
    )  # fmt: skip
    prompt = ctx.request.messages[0].content
    assert ctx.request.symbol == insert.id == model_symbol(insert)
    assert ctx.shown == (node.id, build_.id)  # keys, as the offline providers' depends_on name them
    assert "# Node.__init__ in `pkg/models.py`" in prompt and "self.key = key" in prompt
    assert "def build(keys):\n    return Tree()" not in prompt.split("as committed so far")[0]  # same-file code only once
    assert "`pkg/models.py` (import `pkg.models`): class Node" in prompt
    assert "`pkg/tree.py` as committed so far" in prompt and "Implement `Tree.insert` in `pkg/tree.py`." in prompt


def test_single_file_todos_keep_their_symbol_as_the_request_name() -> None:
    entry = TodoEntry(id="Stack.push", file="stack.py", symbol="Stack.push")
    assert model_symbol(entry) == "Stack.push"
    odd = TodoEntry(id="t1", file="stack.py", symbol="Stack.push")  # an embedding's own ids
    assert model_symbol(odd) == "Stack.push"


def test_conflicts_route_to_the_enclosing_todo_or_the_one_whose_commit_brought_the_import() -> None:
    a = TodoEntry.model_validate({"id": todo_key("p/t.py", "Tree.insert"), "file": "p/t.py", "symbol": "Tree.insert", "status": "done",
                                  "result": "    def insert(self, key):\n        Nod(key)\n", "imports": ["from p.m import Nod"]})  # fmt: skip
    b = TodoEntry(id=todo_key("p/t.py", "build"), file="p/t.py", symbol="build", status=TodoStatus.DONE, result="def build(k):\n    return 1\n")
    other_file = TodoEntry(id=todo_key("p/m.py", "build"), file="p/m.py", symbol="build", status=TodoStatus.DONE, result="x")

    def conflict(symbol: str, name: str | None, kind: str = "unknown_attribute") -> SemanticConflict:
        return SemanticConflict(kind=kind, file="p/t.py", symbol=symbol, name=name, message=f'"{name}" is unknown import symbol', line=1)  # type: ignore[arg-type]

    routed = route_conflicts(
        [conflict("<module>", "Nod"), conflict("build.inner", "y", "unknown_name"), conflict("<module>", "zzz"),
         conflict("build", "b", "duplicate_declaration")],
        [a, b, other_file],
    )  # fmt: skip
    assert sorted(routed) == sorted([a.id, b.id]) and len(routed[a.id]) == 1 and len(routed[b.id]) == 1


def test_a_traceback_line_maps_to_the_todo_whose_region_holds_it() -> None:
    entries = [TodoEntry(id=todo_key("pkg/tree.py", s), file="pkg/tree.py", symbol=s) for s in ("Tree.__init__", "Tree.insert", "build")]
    lines = TREE.splitlines()
    line_of = {name: next(i + 1 for i, ln in enumerate(lines) if name in ln) for name in ("def insert", "def build", "class Tree")}
    files = {"pkg/tree.py": TREE}
    assert todo_at(files, entries, "pkg/tree.py", line_of["def insert"] + 1) == todo_key("pkg/tree.py", "Tree.insert")
    assert todo_at(files, entries, "pkg/tree.py", line_of["def build"] + 2) == todo_key("pkg/tree.py", "build")
    assert todo_at(files, entries, "pkg/tree.py", line_of["class Tree"]) is None  # class line: no TODO's region
    assert todo_at(files, entries, "pkg/other.py", 1) is None
