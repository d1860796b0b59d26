"""The scripted model's project references, read once per module, equal the per-symbol reading they replace.

``SuiteReferences`` keeps each module's imports, definitions and true
dependencies after the first request (flask's 324 references re-read
1500-line modules per symbol); every reference must stay exactly what the
per-symbol functions give, or the offline world would change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.models import Reference
from bench.suites import ProjectsSuite
from bench.suites._project_skeleton import definition_source, definition_sources
from bench.suites._references import SuiteReferences
from bench.suites._skeleton import reference_dependencies, used_imports
from bench.suites._task import Suite

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")


@pytest.fixture(scope="module")
def suite(projects_dir: Path) -> Suite:
    return ProjectsSuite(data_dir=projects_dir).load()


def per_symbol(module_reference: str, stubs: list[str], path: str, symbol: str) -> Reference | None:
    code = definition_source(module_reference, symbol)
    if code is None:
        return None
    deps = reference_dependencies(module_reference, stubs).get(symbol, [])
    return Reference(code=code, imports=used_imports(module_reference, code), depends_on=tuple(f"{path}::{d}" for d in deps))


@pytest.mark.parametrize("project", ["CodeProjectEval/parsel", "DevEval/hone", "CodeProjectEval/pyjwt"])
def test_each_reference_equals_the_per_symbol_reading(suite: Suite, project: str) -> None:
    task = next(t for t in suite.tasks if t.id == project)
    refs = SuiteReferences(suite)
    checked = 0
    for todo in task.todos():
        path, _, symbol = todo.id.partition("::")
        module = next(m for m in task.modules if m.path == path)
        assert refs.get(task.id, todo.id) == per_symbol(module.reference, list(module.stubs), path, symbol), todo.id
        checked += 1
    assert checked == len(task.todos()) > 0
    assert refs.get(task.id, "no/such.py::f") is None
    assert refs.get(task.id, f"{task.modules[0].path}::no_such_symbol") is None


def test_definition_sources_numbers_repeated_names_like_definition_source() -> None:
    source = "class C:\n    @property\n    def x(self):\n        return 1\n\n    @x.setter\n    def x(self, v):\n        pass\n"
    every = definition_sources(source)
    assert list(every) == ["C.x", "C.x#2"]
    assert every["C.x#2"].startswith("@x.setter\ndef x(self, v):")
    assert all(definition_source(source, name) == code for name, code in every.items())
    assert definition_source(source, "C.x#3") is None
