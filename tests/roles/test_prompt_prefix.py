"""The implementer's prompt starts with the prefixes its task's calls share, byte for byte, and marks where they end."""

from __future__ import annotations

import pytest

from agents.models import ModelRequest
from agents.roles import build_context
from agents.roles._package import committed_text, package_index
from crdt_ws import TodoEntry, TodoStatus, todo_key

TREE = '''"""A tree."""
from pkg.models import Node


class Tree:
    def insert(self, key):
        """Insert key."""
        pass

    def find(self, key):
        """Find key."""
        pass


def build(keys):
    """A tree of keys."""
    pass
'''
MODELS = '''class Node:
    def __init__(self, key):
        """A node."""
        pass
'''
OUTLINES = {"pkg/models.py": MODELS, "pkg/tree.py": TREE}
SPEC = "# PRD\nA B+ tree package.\n\n# Architecture\n" + "\n".join(f"- tree.py: function f{i} does step {i}" for i in range(50))


def _entry(path: str, symbol: str, **kw: object) -> TodoEntry:
    return TodoEntry.model_validate({"id": todo_key(path, symbol), "file": path, "symbol": symbol, **kw})


def _package_request(entry: TodoEntry, todos: dict[str, TodoEntry], **kw: object) -> ModelRequest:
    module = committed_text(OUTLINES[entry.file], [t for t in todos.values() if t.file == entry.file])
    index = package_index(OUTLINES, skip=entry.file)
    return build_context(
        entry, task_id="pkg", spec=SPEC, outline=OUTLINES[entry.file], todos=todos, module=module, index=index, **kw  # type: ignore[arg-type]
    ).request


def test_two_todos_of_a_package_share_the_spec_and_their_file_s_index_byte_for_byte() -> None:
    insert, find, node = _entry("pkg/tree.py", "Tree.insert"), _entry("pkg/tree.py", "Tree.find"), _entry("pkg/models.py", "Node.__init__")
    todos = {t.id: t for t in (insert, find, node)}
    first = _package_request(insert, todos)
    # Between the two calls insert was committed, and find is a repair with feedback: only the tail may differ.
    done = insert.model_copy(update={"status": TodoStatus.DONE, "result": "    def insert(self, key):\n        self.k = key\n"})
    repair = _entry("pkg/tree.py", "Tree.find", deps=[insert.id], feedback="AssertionError in test_find", repairs=1)
    later = {**todos, insert.id: done, find.id: repair}
    second = _package_request(repair, later)
    assert second.attempt == 8  # a repair: another offline slot, same shared prefix
    other = _package_request(node, later)

    a, b, c = (r.messages[0].content for r in (first, second, other))
    assert len(first.cache_points) == 2 and first.cache_points == second.cache_points
    spec_end, index_end = first.cache_points
    assert a[:index_end] == b[:index_end]  # the same bytes through the file's index
    assert a[index_end:] != b[index_end:] and "self.k = key" in b[index_end:] and "test_find" in b[index_end:]
    assert a[:spec_end] == c[:spec_end] and a.startswith("Task: # PRD") and SPEC in a[:spec_end]
    assert a[spec_end:index_end] != c[spec_end : other.cache_points[1]]  # another file: another index
    assert "`pkg/models.py` (import `pkg.models`)" in a[spec_end:index_end]
    # nothing per-call leaks into a shared prefix
    for request, text in ((first, a), (second, b), (other, c)):
        assert "as committed so far" not in text[: request.cache_points[-1]] and "Implement `" not in text[: request.cache_points[-1]]
        assert "".join(request.first_blocks()) == text


def test_a_single_file_task_shares_spec_and_outline_and_its_prompt_text_is_unchanged() -> None:
    outline = "class S:\n    def a(self):\n        pass\n\n    def b(self):\n        pass\n"
    a, b = _entry("s.py", "S.a").model_copy(update={"id": "S.a"}), _entry("s.py", "S.b").model_copy(update={"id": "S.b"})
    done = a.model_copy(update={"status": TodoStatus.DONE, "result": "    def a(self):\n        return 1\n"})
    r1 = build_context(a, task_id="t", spec="Build S.", outline=outline, todos={"S.a": a, "S.b": b}).request
    r2 = build_context(b, task_id="t", spec="Build S.", outline=outline, todos={"S.a": done, "S.b": b}).request
    (end,) = r1.cache_points
    assert r1.cache_points == r2.cache_points and r1.messages[0].content[:end] == r2.messages[0].content[:end]
    # the text a model sees is what it was before the prefix was marked (recordings keep their fingerprints)
    assert r1.messages[0].content == f"Task: Build S.\n\nOutline of `s.py`:\n```python\n{outline.rstrip()}\n```\n\nImplement `S.a`."


def test_cache_points_outside_the_first_message_are_refused() -> None:
    with pytest.raises(ValueError, match="cache_points"):
        ModelRequest.prompt("short", cache_points=(10,))
    with pytest.raises(ValueError, match="cache_points"):
        ModelRequest.prompt("a longer text", cache_points=(5, 3))
    assert ModelRequest.prompt("a longer text", cache_points=(2, 5)).first_blocks() == ["a ", "lon", "ger text"]


def _big_module(methods: int = 40) -> str:
    body = "".join(
        f"    def m{i}(self, x):\n        \"\"\"Method {i}.\"\"\"\n" + "".join(f"        x = x + {i} * {j}  # step\n" for j in range(12)) + "        return x\n\n"
        for i in range(methods)
    )
    return f"import os\n\nLIMIT = 3\n\n\nclass Big:\n    \"\"\"Big.\"\"\"\n\n    size = 1\n\n{body}\ndef helper(y):\n    \"\"\"Help.\"\"\"\n    return y * 2\n"


def test_a_module_past_the_limit_keeps_the_todo_its_deps_and_neighbours_whole_and_the_rest_as_signatures() -> None:
    from crdt_ws import parse_python

    from agents.roles._package import module_view

    module = _big_module()
    assert module_view(module, "Big.m20", limit=len(module)) == module  # within the limit: untouched
    view = module_view(module, "Big.m20", keep=["Big.m3", "helper"], limit=8_000, neighbours=1)
    parse_python(view)  # still Python
    assert len(view) < len(module) / 3 and len(module) > 8_000
    for name in ("m3", "m19", "m20", "m21"):  # the TODO, its dependency, its neighbours: whole
        assert f"x = x + {name[1:]} * 11  # step" in view, name
    for name in ("m0", "m18", "m22", "m39"):  # the rest: signature and docstring, body elided
        i = name[1:]
        assert f"    def {name}(self, x):\n        \"\"\"Method {i}.\"\"\"\n        ...\n" in view and f"x = x + {i} * 0  # step" not in view
    assert "import os" in view and "LIMIT = 3" in view and "    size = 1" in view and "return y * 2" in view
    numbered = module_view(module, "Big.m20#2", keep=["Big.m3#2"], limit=8_000, neighbours=0)  # a repeated name's TODO
    assert "x = x + 20 * 11" in numbered and "x = x + 3 * 11" in numbered
    tight = module_view(module, "Big.m20", keep=["Big.m3"], limit=2_000, neighbours=1)  # too long with neighbours
    assert "x = x + 20 * 11" in tight and "x = x + 3 * 11" in tight and "x = x + 21 * 11" not in tight
    assert module_view("def f(:\n" * 5000, "f", limit=10) == "def f(:\n" * 5000  # does not parse: whole


def test_the_prompt_bounds_a_huge_module_and_says_so_but_keeps_its_shared_prefix() -> None:
    module = _big_module(200)
    todo = _entry("pkg/big.py", "Big.m100")
    small = build_context(todo, task_id="p", spec=SPEC, outline=module, todos={todo.id: todo}, module=module, index="- x").request
    big = build_context(todo, task_id="p", spec=SPEC, outline=module, todos={todo.id: todo}, module=module, index="- x", module_chars=10**9).request
    text, whole = small.messages[0].content, big.messages[0].content
    assert "other bodies elided to `...`" in text and "elided" not in whole
    assert len(text) < 24_000 + len(SPEC) + 500 < len(whole)
    assert text[: small.cache_points[-1]] == whole[: big.cache_points[-1]]


def test_every_bounded_view_of_the_suite_s_largest_modules_parses_and_fits() -> None:
    """Real modules (flask, imapclient, voluptuous ...): each stub's view of the finished module is Python, names the stub, fits."""
    import os
    from pathlib import Path

    from crdt_ws import parse_python

    from agents.roles._package import module_view
    from bench.suites import ProjectsSuite

    path = Path(os.environ.get("PROJECTS_DATA") or Path(__file__).resolve().parents[3] / "shared" / "data" / "projects")
    if not path.is_dir():
        pytest.skip(f"projects data not found at {path} (set PROJECTS_DATA)")
    tasks = ProjectsSuite(data_dir=path, only=["CodeProjectEval/imapclient", "CodeProjectEval/flask", "CodeProjectEval/voluptuous"]).load().tasks
    big = [m for t in tasks for m in t.modules if len(m.reference) > 24_000]
    assert len(big) >= 5
    for module in big:
        for stub in module.stubs:
            view = module_view(module.reference, stub)
            parse_python(view)
            assert f"def {stub.split('.')[-1].split('#')[0]}(" in view and len(view) <= 24_000, (module.path, stub)
