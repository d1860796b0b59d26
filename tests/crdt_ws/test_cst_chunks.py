"""A large module's libcst tree assembled from chunk parses equals the whole-module parse, node for node.

The chunked parse (``crdt_ws._cstchunks``) is only a cost cut: every caller of
``parse_cst`` (merge's splice, extraction, the offline model's fault sites)
must see exactly the tree ``libcst.parse_module`` gives.  Checked on hostile
layouts (comments and deeper whitespace between methods, shared lines, other
indent units, no trailing newline, repeated members) and on every module of
the projects data, and by splicing each stub of real packages with and
without chunks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from crdt_ws import _cstchunks, _pyparse, parse_cst, parse_python
from merge import splice

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")

FILLER = "".join(f"def helper_{i}(a, b):\n    '''Helper {i}.'''\n    return a + b * {i}\n\n\n" for i in range(40))


def method(name: str, indent: str = "    ", body: str = "return self.value") -> str:
    return f"{indent}def {name}(self, x):\n{indent}{indent}'''Doc of {name}.'''\n{indent}{indent}{body}\n"


def big_class(name: str = "Big", members: int = 60, indent: str = "    ", sep: str = "\n") -> str:
    return f"class {name}:\n" + sep.join(method(f"m{i}", indent) for i in range(members))


def fresh_parse(source: str) -> cst.Module:
    return cst.parse_module(source)


def assert_same(source: str) -> cst.Module:
    tree = parse_cst(source)
    whole = fresh_parse(source)
    assert tree.deep_equals(whole), "assembled tree differs from the whole-module parse"
    assert tree.code == source
    for attr in ("encoding", "default_indent", "default_newline", "has_trailing_newline"):
        assert getattr(tree, attr) == getattr(whole, attr), attr
    return tree


LAYOUTS = {
    "plain": "import os\n\n\n" + FILLER + big_class() + "\n\nX = 1\n",
    "comments between methods": FILLER + "class C:\n" + method("a") + "    # about b\n" + method("b") + "# column 0\n" + method("c") + "        # deeper\n" + big_class("D") + "\nY = 2\n",
    "whitespace-only lines deeper than the next statement": FILLER + "class C:\n" + method("a") + "        \n" + method("b") + "    \n" + method("c") + "\n" + big_class("D") + "\nZ = 3\n",
    "statements sharing a line": FILLER + "a = 1; b = 2\nc = 3; \\\n    d = 4\n" + big_class() + "\nclass E: pass\nclass F: x = 1; y = 2\n",
    "two-space indent": FILLER.replace("    ", "  ") + big_class(indent="  ") + "\nW = 1\n",
    "tabs": FILLER.replace("    ", "\t") + big_class(indent="\t") + "\nW = 1\n",
    "indent unit differs between classes": big_class("A", indent="  ") + "\n" + big_class("B", indent="    ") + "\n" + big_class("C", indent="   ") + "\nV = 0\n",
    "no trailing newline": FILLER + big_class() + "\nV = 0",
    "trailing blank lines and comments": FILLER + big_class() + "\nV = 0\n\n\n# end\n\n",
    "class at the end": FILLER + big_class(),
    "class at the end, trailing blanks": FILLER + big_class() + "\n\n\n",
    "class at the end, no trailing newline": FILLER + big_class().rstrip("\n"),
    "class at the end, trailing comment": FILLER + big_class() + "    # last\n",
    "class at the start": big_class() + "\n" + FILLER,
    "decorators and comments": FILLER + "@decorate  # why\n# between\n@other\nclass C:\n    @property\n    # inside\n    def x(self):\n        return 1\n\n    @x.setter\n    def x(self, v):\n        pass\n" + big_class() + "\n",
    "nested classes and async": FILLER + "class Outer:\n    class Inner:\n" + big_class("Deep", indent="        ").replace("class Deep:\n", "") + "\n    async def run(self):\n        await x\n" + big_class() + "\n",
    "top-level if/else and try": FILLER + "if X:\n    def f():\n        pass\nelse:\n    def f():\n        return 1\ntry:\n    import a\nexcept ImportError:\n    a = None\n" + big_class() + "\n",
    "header comments and docstring": "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n'''Module doc.'''\n\n# a comment\nimport os\n" + FILLER + big_class() + "\n",
    "repeated identical members": FILLER + "class Over:\n" + method("f") + "\n" + method("f") + "\n" + method("f") + "\n" + big_class() + "\n",
    "one-line class bodies": FILLER + "class A:\n    x = 1\n\n    y = 2\n\n    z = [\n        1,\n    ]\n" + big_class() + "\n",
    "form feed": FILLER + "\f\n" + big_class() + "\n",
    "CRLF": (FILLER + big_class() + "\n").replace("\n", "\r\n"),
    "non-ASCII": FILLER + "class Ü:\n" + method("grüße", body="return 'ñ'") + "\n" + big_class() + "\n",
    "match statement": FILLER + "match x:\n    case 1:\n        pass\n    case _:\n        def g():\n            pass\n" + big_class() + "\n",
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_hostile_layouts_parse_as_a_whole_module_would(name: str) -> None:
    source = LAYOUTS[name]
    assert len(source) >= _cstchunks.MIN_CHUNKED
    assert_same(source)


def test_chunks_are_actually_used_for_a_large_class() -> None:
    """Not a fall-back in disguise: the plain layout is assembled, and a second version re-parses one chunk only."""
    source = LAYOUTS["plain"]
    tree = parse_cst(source)
    assert any(member and "def m7(" in text for member, text in _cstchunks._chunks)
    edited = source.replace("def m7(self, x):\n        '''Doc of m7.'''\n        return self.value", "def m7(self, x):\n        '''Doc of m7.'''\n        return x * 2")
    assert edited != source
    again = assert_same(edited)
    old_cls = next(s for s in tree.body if isinstance(s, cst.ClassDef) and s.name.value == "Big")
    new_cls = next(s for s in again.body if isinstance(s, cst.ClassDef) and s.name.value == "Big")
    assert isinstance(old_cls.body, cst.IndentedBlock) and isinstance(new_cls.body, cst.IndentedBlock)
    same = [a is b for a, b in zip(old_cls.body.body, new_cls.body.body, strict=True)]
    assert same.count(False) == 1, "only the edited member is parsed again"


def test_a_repeated_member_is_never_one_shared_node() -> None:
    tree = assert_same(LAYOUTS["repeated identical members"])
    over = next(s for s in tree.body if isinstance(s, cst.ClassDef) and s.name.value == "Over")
    assert isinstance(over.body, cst.IndentedBlock)
    members = list(over.body.body)
    assert len({id(m) for m in members}) == len(members)


@pytest.mark.parametrize("broken", ["def f(:\n    pass\n", "class C:\n    def g(self):\n    return 1\n", "x = (1,\n"])
def test_a_syntax_error_is_reported_as_before(broken: str) -> None:
    source = FILLER + big_class() + "\n" + broken + FILLER
    with pytest.raises(SyntaxError):
        parse_cst(source)
    with pytest.raises(cst.ParserSyntaxError):
        fresh_parse(source)


def data_modules(root: Path, pattern: str) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.glob(pattern)):
        try:
            source = path.read_text(encoding="utf-8")
            parse_python(source)
            fresh_parse(source)
        except (SyntaxError, ValueError, UnicodeDecodeError, cst.ParserSyntaxError):
            continue
        yield path, source


def test_flask_modules_parse_as_whole_modules_would(projects_dir: Path) -> None:
    seen = [path for path, source in data_modules(projects_dir, "CodeProjectEval/flask/flask/**/*.py") if assert_same(source)]
    assert len(seen) >= 20


@pytest.mark.slow
def test_every_module_of_the_projects_data_parses_as_a_whole_module_would(projects_dir: Path) -> None:
    seen = [path for path, source in data_modules(projects_dir, "**/*.py") if assert_same(source)]
    assert len(seen) >= 500


@pytest.fixture()
def whole_module_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    """``parse_cst`` as it was before chunking: every module parsed whole, nothing kept from earlier parses."""
    monkeypatch.setattr(_cstchunks, "MIN_CHUNKED", 10**12)
    monkeypatch.setattr(_pyparse, "_CST", _pyparse._Recent())


def splice_every_stub(root: Path, task_id: str, module_path: str) -> list[str]:
    """The module's skeleton after each of its stubs is spliced with its reference definition, in order."""
    from bench.suites import ProjectsSuite
    from bench.suites._project_skeleton import definition_source

    suite = ProjectsSuite(data_dir=root).load()
    task = next(t for t in suite.tasks if t.id == task_id)
    module = next(m for m in task.modules if m.path == module_path)
    source, states = module.outline, []
    for symbol in module.stubs:
        code = definition_source(module.reference, symbol)
        assert code is not None
        source = splice(source, symbol, code).source
        states.append(source)
    return states


@pytest.mark.slow
@pytest.mark.parametrize(("task_id", "path"), [("CodeProjectEval/flask", "flask/app.py"), ("CodeProjectEval/bplustree", "bplustree/tree.py")])
def test_splicing_every_stub_gives_the_same_module_as_whole_module_parses(
    task_id: str, path: str, projects_dir: Path, request: pytest.FixtureRequest
) -> None:
    chunked = splice_every_stub(projects_dir, task_id, path)
    for state in chunked[:: max(1, len(chunked) // 10)]:
        assert_same(state)
    request.getfixturevalue("whole_module_parses")
    assert splice_every_stub(projects_dir, task_id, path) == chunked


# The filler's and big classes' own defs are alike: splicing into their ends and middle covers them (splicing
# into all of them, twice per layout, took 130-145 s alone on the CI machine); every other def is spliced into.
_ALIKE = re.compile(r"(helper_|(?:\w+\.)*m)(\d+)$")
_SAMPLED = {"0", "1", "20", "30", "38", "39", "58", "59"}


def splice_layouts() -> dict[str, str]:
    """Each hostile layout after splicing a new body into every function it defines that is not one of many alike."""
    from crdt_ws import outline

    out: dict[str, str] = {}
    for name, source in sorted(LAYOUTS.items()):
        for span in outline(source):
            alike = _ALIKE.search(span.qualname.split("#")[0])
            if span.kind != "def" or (alike is not None and alike.group(2) not in _SAMPLED):
                continue
            try:
                source = splice(source, span.qualname, f"def {span.qualname.split('.')[-1].split('#')[0]}(self, x):\n    return x + 1\n").source
            except Exception as exc:  # noqa: BLE001 - the same failure must happen on both paths
                source += f"# {type(exc).__name__}\n"
            out[f"{name}/{span.qualname}"] = source
    return out


def test_splicing_hostile_layouts_rewrites_only_the_span_and_gives_the_whole_render(request: pytest.FixtureRequest) -> None:
    from crdt_ws import statement_span

    tree = parse_cst(LAYOUTS["plain"])
    big = next(i for i, s in enumerate(tree.body) if isinstance(s, cst.ClassDef) and s.name.value == "Big")
    start, end = statement_span(tree, [big, 7]) or (0, 0)
    assert LAYOUTS["plain"][start:end].lstrip("\n").startswith("    def m7(self, x):")
    assert statement_span(tree, [0]) is None  # the first chunk also holds the module header
    assert statement_span(fresh_parse(LAYOUTS["plain"]), [big, 7]) is None  # a tree parse_cst did not assemble
    chunked = splice_layouts()
    request.getfixturevalue("whole_module_parses")
    assert splice_layouts() == chunked
