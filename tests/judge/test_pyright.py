"""Warm pyright: diagnostics mapped to symbols, typed semantic conflicts, cold CLI parity."""

from __future__ import annotations

import pytest

from agents.judge import JudgeInputError, PyrightServer, SymbolMap, check_cold, conflicts_from

pytestmark = pytest.mark.anyio

STACK = '''class Stack:
    def __init__(self):
        self.items = []

    def push(self, x):
        self.itemz.append(x)

    def push(self, x, y):
        return undefined_name + x

    def pop(self):
        return self.size(1)

    def size(self):
        return len(self.items)
'''


async def test_conflicts_are_typed_and_mapped_to_symbols(pyright_server: PyrightServer) -> None:
    diagnostics = await pyright_server.check({"stack.py": STACK})
    conflicts = {(c.kind, c.symbol, c.name) for c in conflicts_from(diagnostics)}
    assert ("duplicate_declaration", "Stack.push", "push") in conflicts
    assert ("unknown_attribute", "Stack.push", "itemz") in conflicts
    assert ("unknown_name", "Stack.push#2", "undefined_name") in conflicts  # the second `def push`, numbered by occurrence
    assert any(kind == "signature_mismatch" and symbol == "Stack.pop" for kind, symbol, _ in conflicts)
    assert all(d.file == "stack.py" and d.line >= 1 for d in diagnostics)


async def test_updates_are_seen_and_fixed_code_is_clean(pyright_server: PyrightServer) -> None:
    fixed = STACK.replace("itemz", "items").replace("undefined_name + x", "x + y").replace("self.size(1)", "self.size()")
    fixed = fixed.replace("    def push(self, x):\n        self.items.append(x)\n\n", "")
    assert await pyright_server.check({"stack_fix.py": STACK})
    assert await pyright_server.check({"stack_fix.py": fixed}) == []


async def test_cross_file_attribute_conflict(pyright_server: PyrightServer) -> None:
    files = {
        "pkg/model.py": "class Account:\n    def __init__(self) -> None:\n        self.balance = 0\n",
        "pkg/service.py": "from pkg.model import Account\n\ndef pay(a: Account) -> int:\n    return a.amount\n",
    }
    diagnostics = await pyright_server.check(files)
    conflicts = conflicts_from(diagnostics)
    assert [(c.kind, c.file, c.symbol, c.name) for c in conflicts] == [("unknown_attribute", "pkg/service.py", "pay", "amount")]
    await pyright_server.forget(list(files))


async def test_bad_names_are_rejected(pyright_server: PyrightServer) -> None:
    with pytest.raises(JudgeInputError):
        await pyright_server.check({"../outside.py": "x = 1"})


async def test_cold_cli_reports_the_same_diagnostics(pyright_server: PyrightServer) -> None:
    warm = await pyright_server.check({"cold_vs_warm.py": STACK})
    cold = await check_cold({"cold_vs_warm.py": STACK})
    assert [(d.line, d.rule, d.symbol) for d in warm] == [(d.line, d.rule, d.symbol) for d in cold]


def test_symbol_map_handles_broken_code() -> None:
    broken = "class A:\n    def f(self):\n        return (\n\n    def g(self):\n        x = 1\n\ndef top():\n    pass\n"
    symbols = SymbolMap(broken)
    assert symbols.symbol_at(2) == "A.f"
    assert symbols.symbol_at(6) == "A.g"
    assert symbols.symbol_at(9) == "top"
    ok = SymbolMap("x = 1\n@dec\ndef f():\n    def inner():\n        pass\n")
    assert ok.symbol_at(1) == "<module>" and ok.symbol_at(2) == "f" and ok.symbol_at(5) == "f.inner"
