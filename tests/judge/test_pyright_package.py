"""Whole-package pyright: one check over a package's modules; conflicts across modules land on the TODO that caused them."""

from __future__ import annotations

import textwrap

import pytest

from agents.judge import PyrightServer, conflicts_from

pytestmark = pytest.mark.anyio

CLEAN = {
    "shop/__init__.py": "from .money import Price as Price\nfrom .money import parse_price as parse_price\n",
    "shop/money.py": textwrap.dedent('''
        class Price:
            def __init__(self, cents: int) -> None:
                self.cents = cents

            def add(self, other: "Price") -> "Price":
                return Price(self.cents + other.cents)


        def parse_price(text: str) -> Price:
            whole, _, frac = text.partition(".")
            return Price(int(whole) * 100 + int(frac or 0))
    '''),
    "shop/cart/__init__.py": "",
    "shop/cart/cart.py": textwrap.dedent('''
        import shop.money as m
        from shop import Price
        from .. import parse_price
        from ..money import Price as P2


        class Cart:
            def __init__(self) -> None:
                self.lines: list[Price] = []

            def add_line(self, text: str) -> None:
                self.lines.append(parse_price(text))

            def total(self) -> Price:
                out = P2(0)
                for line in self.lines:
                    out = out.add(line)
                return out

            def cheapest(self) -> int:
                return min(m.parse_price(str(p.cents)).cents for p in self.lines)
    '''),
}


async def test_clean_package_with_relative_and_absolute_imports_has_no_errors(pyright_server: PyrightServer) -> None:
    diagnostics = await pyright_server.check(CLEAN)
    assert [d for d in diagnostics if d.severity == "error"] == []
    await pyright_server.forget(list(CLEAN))


async def test_wrong_import_name_and_arity_across_modules_are_routed_to_todo_ids(pyright_server: PyrightServer) -> None:
    broken = dict(CLEAN)
    cart = broken["shop/cart/cart.py"]
    # a TODO imports a name module b does not define (inside its body, as an implementer would)
    cart = cart.replace(
        "        self.lines.append(parse_price(text))",
        "        from ..money import parse_pryce\n        self.lines.append(parse_pryce(text))",
    )
    # another calls a function of another module with the wrong number of arguments
    cart = cart.replace("m.parse_price(str(p.cents))", "m.parse_price(str(p.cents), 2)")
    # and a method of an imported class, likewise
    cart = cart.replace("out = out.add(line)", "out = out.add(line, line)")
    broken["shop/cart/cart.py"] = cart
    # module level: the package re-exports a name that is not there
    broken["shop/__init__.py"] = CLEAN["shop/__init__.py"] + "from .money import format_price as format_price\n"
    diagnostics = await pyright_server.check(broken)
    conflicts = conflicts_from(diagnostics)
    found = {(f"{c.file}::{c.symbol}", c.kind, c.name) for c in conflicts}
    by_todo = {todo for todo, _, _ in found}
    assert "shop/cart/cart.py::Cart.add_line" in by_todo
    assert ("shop/cart/cart.py::Cart.add_line", "unknown_attribute", "parse_pryce") in found
    assert any(todo == "shop/cart/cart.py::Cart.cheapest" and kind == "signature_mismatch" for todo, kind, _ in found)
    assert any(todo == "shop/cart/cart.py::Cart.total" and kind == "signature_mismatch" for todo, kind, _ in found)
    assert ("shop/__init__.py::<module>", "unknown_attribute", "format_price") in found
    # nothing lands on the untouched TODOs or modules
    assert not by_todo & {"shop/cart/cart.py::Cart.__init__", "shop/money.py::parse_price", "shop/money.py::Price.add"}
    assert all(d.file in broken for d in diagnostics)
    await pyright_server.forget(list(broken))


async def test_an_unchanged_file_is_not_sent_again_yet_sees_its_imports_change() -> None:
    # A package round passes every file; only changed ones are sent (a round must keep up with commits),
    # and a file that was not sent still gets its diagnostics from the sibling's new text.
    async with PyrightServer() as server:
        user = "from pk.a import f\n\nf(1)\n"
        assert conflicts_from(await server.check({"pk/a.py": "def f(x):\n    return x\n", "pk/b.py": user})) == []
        versions = dict(server._versions)  # pyright: ignore[reportPrivateUsage]
        found = conflicts_from(await server.check({"pk/a.py": "def f():\n    return 1\n", "pk/b.py": user}))
        assert server._versions["pk/b.py"] == versions["pk/b.py"], "the unchanged file was not sent again"  # pyright: ignore[reportPrivateUsage]
        assert server._versions["pk/a.py"] == versions["pk/a.py"] + 1  # pyright: ignore[reportPrivateUsage]
        assert [(c.file, c.kind, c.line) for c in found] == [("pk/b.py", "signature_mismatch", 3)]
        found = conflicts_from(await server.check({"pk/a.py": "def g():\n    return 1\n", "pk/b.py": user}))
        assert [(c.file, c.kind, c.name) for c in found] == [("pk/b.py", "unknown_attribute", "f")]
        await server.forget(["pk/b.py"])
        assert conflicts_from(await server.check({"pk/b.py": user, "pk/a.py": "def g():\n    return 1\n"})) != [], (
            "a forgotten file is sent again"
        )
