"""Library code reads Python source only through crdt_ws's parse boundary (``crdt_ws/_pyparse.py``).

A direct ``ast.parse``/``compile``/``symtable.symtable``/``libcst.parse_*``
elsewhere bypasses the parse lock (CPython's shared AST-conversion state,
gh-106905, made CI flaky once) and the translation of libcst's errors.  The
check reads every library module's syntax tree, so aliases and ``from``
imports are caught as well as the plain spelling.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("crdt_ws", "claim_protocol", "merge", "agents", "bench", "web")
BOUNDARY = "crdt_ws/_pyparse.py"
# path -> why a direct call is fine there
ALLOWED = {
    "agents/judge/_channel.py": "compiles the judge's own runner script (a file shipped in the package) to bytecode once",
    "agents/judge/_warm_server.py": "a standalone script in the sandbox: compiles the judge's runner when it came as source, as `python SCRIPT` would",
}
_MODULES = {"ast": {"parse"}, "symtable": {"symtable"}, "libcst": {"parse_module", "parse_statement", "parse_expression"}}


def parse_calls(source: str) -> list[str]:
    """``"line: call"`` for each call that parses or compiles Python source in ``source``."""
    tree = ast.parse(source)
    module_alias: dict[str, str] = {}  # local name -> module ("cst" -> "libcst")
    function_alias: dict[str, str] = {"compile": "compile"}  # local name -> what it is
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _MODULES:
                    module_alias[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in _MODULES:
            for alias in node.names:
                if alias.name in _MODULES[node.module]:
                    function_alias[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ImportFrom) and node.module == "builtins":
            for alias in node.names:
                if alias.name == "compile":
                    function_alias[alias.asname or alias.name] = "compile"
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in function_alias:
            found.append(f"{node.lineno}: {function_alias[func.id]}")
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = module_alias.get(func.value.id, "builtins" if func.value.id == "builtins" else None)
            if module == "builtins" and func.attr == "compile" or module in _MODULES and func.attr in _MODULES[module]:
                found.append(f"{node.lineno}: {module}.{func.attr}")
    return found


def test_the_scanner_finds_every_spelling() -> None:
    code = (
        "import ast, libcst as cst, symtable, builtins\n"
        "from ast import parse as p\n"
        "from libcst import parse_statement\n"
        "import re\n"
        "ast.parse('x'); cst.parse_module('x'); p('x'); parse_statement('x')\n"
        "compile('x', 'f', 'exec'); builtins.compile('x', 'f', 'exec'); symtable.symtable('x', 'f', 'exec')\n"
        "re.compile('x'); cst.Module(body=[])\n"
    )
    assert parse_calls(code) == [
        "5: ast.parse",
        "5: libcst.parse_module",
        "5: ast.parse",
        "5: libcst.parse_statement",
        "6: compile",
        "6: builtins.compile",
        "6: symtable.symtable",
    ]


def test_library_code_parses_only_through_the_boundary() -> None:
    offenders: list[str] = []
    scanned = 0
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == BOUNDARY or rel in ALLOWED or "/frontend/" in rel or "node_modules" in rel:
                continue
            scanned += 1
            offenders += [f"{rel}:{call}" for call in parse_calls(path.read_text(encoding="utf-8"))]
    assert scanned > 100  # the walk really read the packages
    assert offenders == [], "parse through crdt_ws.parse_python/parse_cst/compiles instead:\n" + "\n".join(offenders)


def test_the_boundary_and_allow_list_still_need_their_exemption() -> None:
    """An exemption that no longer covers a call is stale: remove it."""
    for rel in (BOUNDARY, *ALLOWED):
        assert parse_calls((ROOT / rel).read_text(encoding="utf-8")), rel
