"""The public API is what is used: every ``__all__`` name is used outside its package, and there are few.

"Used" means imported (or read as ``pkg.name``) by another package's code —
the CLIs included — or named in the README, docs/ or examples/.  Tests do not
count: they may import a private module's names directly
(``from merge._conflicts import find_conflicts``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crdt_ws", "claim_protocol", "merge", "agents", "bench", "web")
LIMIT = 250


def _modules() -> dict[str, Path]:
    """dotted module name -> path, for every library module."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "frontend" in rel.parts or "bundled" in rel.parts:
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def public_names() -> dict[str, list[str]]:
    """package (dotted) -> its ``__all__``."""
    out: dict[str, list[str]] = {}
    for name, path in _modules().items():
        if path.name != "__init__.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
                assert isinstance(node.value, (ast.List, ast.Tuple)), name
                out[name] = [ast.literal_eval(e) for e in node.value.elts]
    return out


def _uses() -> dict[str, set[tuple[str, str]]]:
    """package -> {(using module, name)} from ``from package import name`` and ``package.name``."""
    packages = set(public_names())
    uses: dict[str, set[tuple[str, str]]] = {p: set() for p in packages}
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in packages:
                uses[node.module] |= {(module, a.name) for a in node.names}
            elif isinstance(node, ast.Attribute):
                dotted: list[str] = [node.attr]
                value: ast.expr = node.value
                while isinstance(value, ast.Attribute):
                    dotted.insert(0, value.attr)
                    value = value.value
                if isinstance(value, ast.Name):
                    dotted.insert(0, value.id)
                    for cut in range(1, len(dotted)):
                        owner = ".".join(dotted[:cut])
                        if owner in packages:
                            uses[owner].add((module, dotted[cut]))
    return uses


def _docs() -> str:
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").glob("*.py"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def unused_public_names() -> list[str]:
    """``package.name`` for each ``__all__`` name no other package, CLI or document uses."""
    uses, docs, unused = _uses(), _docs(), []
    for package, names in public_names().items():
        outside = {name for module, name in uses[package] if not (module == package or module.startswith(package + "."))}
        for name in names:
            if name not in outside and not re.search(rf"\b{re.escape(name)}\b", docs):
                unused.append(f"{package}.{name}")
    return unused


def test_every_public_name_is_used_outside_its_package() -> None:
    assert unused_public_names() == []


def test_the_public_api_is_small() -> None:
    total = sum(len(names) for names in public_names().values())
    assert 0 < total <= LIMIT, f"{total} public names (limit {LIMIT})"


def test_the_usage_scan_sees_imports_and_attributes() -> None:
    uses = _uses()
    assert ("bench._cli", "WorkspaceError") in uses["crdt_ws"] or any(n == "Relay" for _, n in uses["crdt_ws"])
    assert any(name == "find_stubs" for module, name in uses["crdt_ws"] if module.startswith("agents"))
