"""Reference implementations of a suite's stubs, for the offline ``scripted`` model."""

from __future__ import annotations

from dataclasses import dataclass

from agents.models import Reference

from ._project_skeleton import definition_sources
from ._skeleton import function_source, imports_used_by, module_imports, reference_dependencies, used_imports
from ._task import Suite, Task, TaskModule

__all__ = ["OUTLINE_SYMBOL", "SuiteReferences"]

OUTLINE_SYMBOL = "<outline>"
"""Pseudo-symbol the outliner asks for: the reply is the task's whole skeleton."""


class SuiteReferences:
    """``agents.models.ReferenceSource`` over a suite's reference solutions.

    ``get(task_id, "Cls.method")`` is the reference definition dedented to
    column 0 with the module imports it mentions and its true dependencies;
    ``get(task_id, "<outline>")`` is the skeleton.
    """

    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self._cache: dict[tuple[str, str], Reference | None] = {}
        self._modules: dict[tuple[str, str], _ModuleFacts] = {}

    @property
    def name(self) -> str:
        return f"{self.suite.name} suite reference solutions"

    def get(self, task_id: str, symbol: str) -> Reference | None:
        key = (task_id, symbol)
        if key not in self._cache:
            self._cache[key] = self._build(task_id, symbol)
        return self._cache[key]

    def _build(self, task_id: str, symbol: str) -> Reference | None:
        task = next((t for t in self.suite.tasks if t.id == task_id), None)
        if task is None:
            return None
        if task.is_multi_file:
            return self._module_reference(task, symbol)
        if symbol == OUTLINE_SYMBOL:
            return Reference(code=task.skeleton())
        if symbol not in task.stubs():
            return None
        code = function_source(task.reference, symbol)
        if code is None:
            return None
        depends_on = tuple(task.true_dependencies().get(symbol, ()))
        return Reference(code=code, imports=used_imports(task.reference, code), depends_on=depends_on)

    def _module_reference(self, task: Task, key: str) -> Reference | None:
        """A multi-file task's reference for TODO ``"<path>::<symbol>"``: its module's definition, that module's imports
        it mentions, and its true dependencies inside that module (as TODO keys; cross-module ones are not derived)."""
        path, sep, symbol = key.partition("::")
        module = next((m for m in task.modules if m.path == path), None)
        if not sep or module is None or symbol not in module.stubs:
            return None
        facts = self._facts(task.id, module)
        code = facts.definitions.get(symbol)  # ``Cls.x#2``: the reference's second ``def x``
        if code is None:
            return None
        deps = facts.dependencies.get(symbol, [])
        return Reference(code=code, imports=imports_used_by(facts.imports, code), depends_on=tuple(f"{path}::{d}" for d in deps))

    def _facts(self, task_id: str, module: TaskModule) -> _ModuleFacts:
        # Read once per module, not once per symbol: flask's 324 references re-read 1500-line modules
        # for every symbol, and the offline model's own CPU then competed with the agents for the cores.
        key = (task_id, module.path)
        if key not in self._modules:
            self._modules[key] = _ModuleFacts(
                imports=module_imports(module.reference),
                definitions=definition_sources(module.reference),
                dependencies=reference_dependencies(module.reference, list(module.stubs)),
            )
        return self._modules[key]

    def symbols(self, task_id: str) -> list[str]:
        task = next((t for t in self.suite.tasks if t.id == task_id), None)
        if task is not None and task.is_multi_file:
            return [todo.id for todo in task.todos()]
        return [*task.stubs(), OUTLINE_SYMBOL] if task is not None else []


@dataclass(frozen=True)
class _ModuleFacts:
    """What every reference of one module shares: its import statements, its definitions' code and its stubs'
    true dependencies."""

    imports: list[tuple[str, tuple[str, ...]]]
    definitions: dict[str, str]
    dependencies: dict[str, list[str]]
