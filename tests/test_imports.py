"""The library does not lean on the benchmark, and packages import each other without cycles.

Every module's AST is read (through ``crdt_ws.parse_python``, behind the parse
lock) and every import counts, lazy ones inside functions included: a cycle
or a ``bench`` import hidden in a function still breaks embedders.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from crdt_ws import parse_python

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("agents", "claim_protocol", "crdt_ws", "merge", "web")
PACKAGES = (*LIBRARY, "bench")


def _modules(root: Path, tops: Iterable[str]) -> Iterable[tuple[str, Path]]:
    """(package the module is in, path) for every module under ``tops``."""
    for top in tops:
        for path in sorted((root / top).rglob("*.py")):
            if "node_modules" not in path.parts:
                yield ".".join(path.relative_to(root).parent.parts), path


def _imports(package: str, path: Path) -> set[str]:
    """Absolute names of everything ``path`` imports (relative imports resolved against ``package``)."""
    names: set[str] = set()
    for node in ast.walk(parse_python(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def bench_imports(root: Path, library: Iterable[str]) -> list[str]:
    """``path: name`` for every import of ``bench`` in the library packages."""
    return [
        f"{path.relative_to(root)}: {name}"
        for package, path in _modules(root, library)
        for name in sorted(_imports(package, path))
        if name == "bench" or name.startswith("bench.")
    ]


def package_graph(root: Path, tops: Iterable[str]) -> dict[str, set[str]]:
    """Package -> the other packages (subpackages included) its modules import."""
    tops = tuple(tops)
    packages = {package for package, path in _modules(root, tops) if path.name == "__init__.py"}

    def owner(name: str) -> str | None:
        parts = name.split(".")
        return next((".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in packages), None)

    graph: dict[str, set[str]] = {package: set() for package in packages}
    for package, path in _modules(root, tops):
        for name in _imports(package, path):
            target = owner(name)
            if target is not None and target != package:
                graph[package].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_library_package_imports_bench() -> None:
    assert bench_imports(ROOT, LIBRARY) == []


def test_packages_import_each_other_without_cycles() -> None:
    graph = package_graph(ROOT, PACKAGES)
    assert "agents.roles" in graph["agents.team"] and "agents.team" in graph["bench"]  # the walk saw real edges
    assert cycles(graph) == []


def test_the_checks_catch_a_bench_import_and_a_cycle(tmp_path: Path) -> None:
    # The guards above must be able to fail: a lazy bench import and a two-package cycle, hidden in functions.
    for package, body in {
        "lib": "def f():\n    from bench._demo import LABEL\n    return LABEL\n",
        "lib/inner": "def g():\n    from other._mod import h\n",
        "other": "def h():\n    import lib.inner._mod\n",
        "bench": "",
    }.items():
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
        (tmp_path / package / "_mod.py").write_text(body)
    assert bench_imports(tmp_path, ["lib", "other"]) == [f"{Path('lib/_mod.py')}: bench._demo"]
    assert cycles(package_graph(tmp_path, ["lib", "other", "bench"])) == [["lib.inner", "other"]]
