"""Reference implementations for the ``scripted`` provider.

``ReferenceSource`` is the extension point: the bundled task suite (later) and
ClassEval both plug in. A reference is the symbol's code as a model would
write it, plus the imports it needs (which ``missing_import`` faults drop).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from ._classeval import classeval_dir, load_json, method_source, symbol_of

__all__ = ["ClassEvalReferences", "DictReferences", "Reference", "ReferenceSource"]


@dataclass(frozen=True)
class Reference:
    """A correct implementation of one symbol."""

    code: str
    imports: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    """Qualified symbols this implementation really calls or needs (ground truth, e.g. from the
    reference solution); ``scripted`` makes a reply that could not see them likelier to be wrong."""


@runtime_checkable
class ReferenceSource(Protocol):
    """Looks up reference implementations by (task id, qualified symbol)."""

    @property
    def name(self) -> str:
        """Short description for usage records (``Usage.source``)."""
        ...

    def get(self, task_id: str, symbol: str) -> Reference | None:
        """The reference, or None when this source has none."""
        ...

    def symbols(self, task_id: str) -> list[str]:
        """Symbols with a reference in ``task_id`` (for error messages)."""
        ...


class DictReferences:
    """In-memory references: ``{(task_id, symbol): code or Reference}``."""

    def __init__(self, references: Mapping[tuple[str, str], str | Reference], *, name: str = "in-memory") -> None:
        self._refs = {key: ref if isinstance(ref, Reference) else Reference(code=ref) for key, ref in references.items()}
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def get(self, task_id: str, symbol: str) -> Reference | None:
        return self._refs.get((task_id, symbol))

    def symbols(self, task_id: str) -> list[str]:
        return sorted(symbol for task, symbol in self._refs if task == task_id)


def _bound_name(statement: str) -> list[str]:
    """Names an import statement binds (``import a.b as c`` -> c, ``from x import y, z`` -> y, z)."""
    statement = statement.strip()
    if statement.startswith("from "):
        _, _, names = statement.partition(" import ")
        parts = [p.strip().strip("()") for p in names.split(",")]
    elif statement.startswith("import "):
        parts = [p.strip() for p in statement[len("import ") :].split(",")]
    else:
        return []
    bound: list[str] = []
    for part in parts:
        original, _, alias = part.partition(" as ")
        bound.append(alias.strip() if alias else original.strip().split(".")[0])
    return [b for b in bound if b]


class ClassEvalReferences:
    """ClassEval's ``methods_info[].solution_code``, keyed ``(task_id, 'Class.method')``."""

    def __init__(self, data_dir: str | Path | None = None) -> None:
        self.data_dir = classeval_dir(data_dir)
        self._refs: dict[tuple[str, str], Reference] = {}
        for task in load_json(self.data_dir / "ClassEval_data.json"):
            imports: list[str] = list(task.get("import_statement") or [])
            for method in task["methods_info"]:
                code = method_source(method["solution_code"])
                used = tuple(
                    imp for imp in imports if any(re.search(rf"\b{re.escape(n)}\b", code) for n in _bound_name(imp))
                )
                key = (task["task_id"], symbol_of(task["class_name"], method["method_name"]))
                self._refs[key] = Reference(code=code, imports=used)

    @property
    def name(self) -> str:
        return "ClassEval reference solutions"

    def get(self, task_id: str, symbol: str) -> Reference | None:
        return self._refs.get((task_id, symbol))

    def symbols(self, task_id: str) -> list[str]:
        return [symbol for task, symbol in self._refs if task == task_id]
