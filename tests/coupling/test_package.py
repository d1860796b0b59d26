"""classify_package on hand-written packages: imports resolved across modules, ids, evidence, plans, errors."""

from __future__ import annotations

import textwrap

import pytest

from agents.coupling import CouplingConfig, OutlineSyntaxError, PackageIndex, Target, UnknownSymbolError, classify_package
from crdt_ws import find_stubs


MODULES = {
    "shop/__init__.py": "from .money import Price as Price\nfrom .money import parse_price\n",
    "shop/money.py": textwrap.dedent('''
        class Price:
            """An amount in cents."""

            def __init__(self, cents: int) -> None:
                """Store the amount."""
                pass

            def add(self, other: "Price") -> "Price":
                """Sum of two prices."""
                pass


        def parse_price(text: str) -> Price:
            """Read '12.50' into cents."""
            pass
    '''),
    "shop/cart/base.py": textwrap.dedent('''
        class Container:
            def __init__(self):
                """Empty container."""
                pass

            def item_count(self) -> int:
                """How many items are held."""
                pass
    '''),
    "shop/cart/cart.py": textwrap.dedent('''
        from shop import Price
        from .. import parse_price as pp
        from .base import Container
        import shop.money as m


        def logged(func):
            """Decorator that logs calls."""
            pass


        class Cart(Container):
            def __init__(self):
                """A cart with no lines."""
                pass

            def total(self) -> Price:
                """Sum of the line prices, with :meth:`m.Price.add`."""
                pass

            @logged
            def add_line(self, text):
                """Parse text with pp() and append it."""
                pass

            def summary(self):
                """Reports self.item_count() lines."""
                pass

            def unrelated(self):
                """Nothing to see here."""
                pass
    '''),
}
STUBS = {path: find_stubs(src) for path, src in MODULES.items()}


def _deps(report, src: str) -> set[str]:
    return set(report.deps[src])


def test_ids_are_path_symbol_in_package_order_and_every_id_is_a_todo() -> None:
    report = classify_package(MODULES, STUBS)
    expected = [f"{p}::{s}" for p in MODULES for s in STUBS[p]]
    assert report.stubs == expected
    ids = set(expected)
    assert set(report.deps) == ids
    assert all(d in ids for deps in report.deps.values() for d in deps)
    assert all(e.src in ids and e.dst in ids for e in report.edges)
    assert sorted(s for wave in report.waves for s in wave) == sorted(expected)


def test_edges_cross_modules_through_absolute_relative_aliased_and_reexported_imports() -> None:
    report = classify_package(MODULES, STUBS)
    cart = "shop/cart/cart.py::Cart"
    # `from .. import parse_price as pp` -> shop/__init__.py re-export -> shop/money.py
    assert "shop/money.py::parse_price" in _deps(report, f"{cart}.add_line")
    # `import shop.money as m` and :meth:`m.Price.add`
    assert "shop/money.py::Price.add" in _deps(report, f"{cart}.total")
    # inherited from shop/cart/base.py via `from .base import Container`
    assert "shop/cart/base.py::Container.item_count" in _deps(report, f"{cart}.summary")
    # overriding __init__ usually calls super().__init__
    assert "shop/cart/base.py::Container.__init__" in _deps(report, f"{cart}.__init__")
    assert _deps(report, f"{cart}.unrelated") == set()
    kinds = {(e.src, e.dst): e.kind for e in report.edges}
    assert kinds[(f"{cart}.add_line", "shop/money.py::parse_price")] == "import_ref"
    assert kinds[(f"{cart}.summary", "shop/cart/base.py::Container.item_count")] == "inherited"
    # the return annotation names a class of another module: a (configurable) constructor edge
    assert (f"{cart}.total", "shop/money.py::Price.__init__") in kinds
    assert (f"{cart}.add_line", "shop/cart/cart.py::logged") in kinds
    # the plan orders across files: the dependency is in an earlier wave
    wave = {s: i for i, w in enumerate(report.waves) for s in w}
    assert wave["shop/money.py::parse_price"] < wave[f"{cart}.add_line"]


def test_weights_come_from_the_config() -> None:
    strict = CouplingConfig(w_import_ref=0.0, w_inherited=0.0, w_override_init=0.0)
    report = classify_package(MODULES, STUBS, strict)
    assert "shop/money.py::parse_price" not in _deps(report, "shop/cart/cart.py::Cart.add_line")
    assert _deps(report, "shop/cart/cart.py::Cart.summary") == set()
    loose = classify_package(MODULES, STUBS, CouplingConfig(w_decorator=0.9))
    assert "shop/cart/cart.py::logged" in _deps(loose, "shop/cart/cart.py::Cart.add_line")


def test_index_resolves_names_and_mro() -> None:
    index = PackageIndex(MODULES)
    assert index.resolve_name("shop/cart/cart.py", "pp") == Target("shop/money.py", "parse_price", "function")
    assert index.resolve_name("shop/cart/cart.py", "m") == Target("shop/money.py")
    assert index.resolve_name("shop/cart/cart.py", "Price") == Target("shop/money.py", "Price", "class")
    assert index.resolve_dotted("shop/cart/cart.py", "shop.money.Price.add") == Target("shop/money.py", "Price.add", "function")
    cart = Target("shop/cart/cart.py", "Cart", "class")
    assert [c.qual for c in index.mro(cart)] == ["Cart", "Container"]
    assert index.member(cart, "item_count") == Target("shop/cart/base.py", "Container.item_count", "function")
    assert index.member(cart, "__init__", skip_self=True) == Target("shop/cart/base.py", "Container.__init__", "function")
    assert index.resolve_name("shop/cart/cart.py", "os") is None


def test_import_cycles_and_star_imports_terminate() -> None:
    modules = {
        "p/a.py": "from .b import f\nfrom .b import *\n",
        "p/b.py": "from .a import f\nfrom .a import *\n\ndef g():\n    '''Calls f().'''\n    pass\n",
        "p/c.py": "from .b import *\n\ndef h():\n    '''Uses g() then more.'''\n    pass\n",
    }
    index = PackageIndex(modules)
    assert index.resolve_name("p/a.py", "f") is None
    assert index.resolve_name("p/c.py", "g") == Target("p/b.py", "g", "function")
    report = classify_package(modules, {"p/b.py": ["g"], "p/c.py": ["h"]})
    assert report.deps["p/c.py::h"] == ["p/b.py::g"]


def test_numbered_twins_and_definitions_under_with_are_addressable() -> None:
    src = textwrap.dedent('''
        import contextlib
        from .other import helper_func


        class A:
            @property
            def x(self):
                """Get x via helper_func()."""
                pass

            @x.setter
            def x(self, value):
                """Set x."""
                pass


        with contextlib.suppress(ImportError):
            def late():
                """Defined under with."""
                pass
    ''')
    modules = {"q/m.py": src, "q/other.py": "def helper_func():\n    '''Help.'''\n    pass\n"}
    report = classify_package(modules, {"q/m.py": ["A.x", "A.x#2", "late"], "q/other.py": ["helper_func"]})
    assert report.deps["q/m.py::A.x"] == ["q/other.py::helper_func"]
    assert "q/m.py::A.x#2" in report.stubs and "q/m.py::late" in report.stubs


def test_hostile_and_wrong_input_errors_name_the_file() -> None:
    with pytest.raises(OutlineSyntaxError, match="bad/mod.py"):
        classify_package({"bad/mod.py": "def f(:\n"}, {})
    with pytest.raises(UnknownSymbolError, match="shop/money.py::nope"):
        classify_package(MODULES, {"shop/money.py": ["nope"]})
    with pytest.raises(UnknownSymbolError, match="ghost.py"):
        classify_package(MODULES, {"ghost.py": ["f"]})
    # imports reaching outside the package, or into nowhere, resolve to nothing rather than failing
    odd = {"x/y.py": "from ...... import zz\nfrom . import missing\nimport os.path as op\n\ndef f(a: op.Path) -> 'not valid python ((':\n    '''Uses zz() and missing.q().'''\n    pass\n"}
    report = classify_package(odd, {"x/y.py": ["f"]})
    assert report.deps == {"x/y.py::f": []}


def test_empty_package_is_parallel() -> None:
    report = classify_package({"a.py": "X = 1\n"}, {})
    assert report.stubs == [] and report.waves == [] and report.decision == "parallel"


def test_an_import_is_evidence_for_the_module_stub_it_serves() -> None:
    modules = {
        "t/util.py": "def to_bytes(s):\n    '''Encode s.'''\n    pass\n\n\ndef chunk(seq, n):\n    '''Split seq.'''\n    pass\n",
        "t/cli.py": "from .util import to_bytes\n\n\ndef main(argv):\n    '''Entry point.'''\n    pass\n",
        "t/client.py": textwrap.dedent('''
            from .util import chunk, to_bytes


            class Client:
                def send(self, data: str) -> None:
                    """Send data over the wire as bytes."""
                    pass

                def close(self) -> None:
                    """Close the connection."""
                    pass
        '''),
    }
    stubs = {path: find_stubs(src) for path, src in modules.items()}
    report = classify_package(modules, stubs)
    # the only stub of cli.py is why it imports to_bytes
    assert report.deps["t/cli.py::main"] == ["t/util.py::to_bytes"]
    edges = {(e.src, e.dst): e for e in report.edges if e.kind == "import_use"}
    # in client.py only send's docstring has the word 'bytes': an edge, below the threshold on its own
    assert ("t/client.py::Client.send", "t/util.py::to_bytes") in edges
    assert not any(src == "t/client.py::Client.close" for src, _ in edges)
    assert not any(dst == "t/util.py::chunk" for _, dst in edges)  # no stub mentions 'chunk'
    sure = classify_package(modules, stubs, CouplingConfig(w_import_sole_mention=0.6))
    assert sure.deps["t/client.py::Client.send"] == ["t/util.py::to_bytes"]


def test_hostile_packages_terminate_with_clear_errors() -> None:
    long_chain = "a" + ".b" * 20000
    modules = {
        "__init__.py": "from h import *\n",
        "h/__init__.py": "from . import *\nfrom .a import *\n",
        # bases in a cycle across modules, a class inheriting from itself, a 20000-link dotted run in a docstring
        "h/a.py": f"from .b import B\nfrom . import *\n\nclass A(B):\n    def m(self):\n        '''Uses self.n() and {long_chain}.'''\n        pass\n",
        "h/b.py": "from .a import A\n\nclass B(A):\n    def n(self):\n        '''Calls self.m().'''\n        pass\n\nclass C(C):\n    def k(self):\n        '''x'''\n        pass\n",
    }
    report = classify_package(modules, {"h/a.py": ["A.m"], "h/b.py": ["B.n", "C.k"]})
    # A.m -> B.n and B.n -> A.m are both inherited references: the cycle is broken, not looped on
    assert len(report.dropped) == 1 and sorted(s for w in report.waves for s in w) == sorted(report.stubs)
    assert PackageIndex(modules).mro(Target("h/b.py", "C", "class")) == [Target("h/b.py", "C", "class")]
    # nesting too deep for Python's own parser is an OutlineSyntaxError naming the file, not a RecursionError
    with pytest.raises(OutlineSyntaxError, match="h/a.py"):
        classify_package({"h/a.py": f"def m() -> {long_chain}:\n    pass\n"}, {"h/a.py": ["m"]})


def test_registry_classifiers_take_packages() -> None:
    from agents.coupling import OracleClassifier, PackageClassifier, get_classifier

    static = get_classifier("static")
    assert isinstance(static, PackageClassifier)
    assert static.classify_package(MODULES, STUBS) == classify_package(MODULES, STUBS)  # type: ignore[attr-defined]
    truth = {"shop/cart/cart.py::Cart.total": ["shop/money.py::Price.add", "shop/nowhere.py::f"]}
    oracle = OracleClassifier(deps=truth)
    report = oracle.classify_package(MODULES, STUBS)
    assert report.stubs == [f"{p}::{s}" for p in MODULES for s in STUBS[p]]
    assert report.deps["shop/cart/cart.py::Cart.total"] == ["shop/money.py::Price.add"]
    assert any("shop/nowhere.py::f" in r for r in report.reasons)  # an unknown id is reported, not planned


def test_absolute_imports_of_stdlib_names_never_mean_a_package_module() -> None:
    modules = {
        "web/typing.py": "def alias():\n    '''A type alias helper.'''\n    pass\n",
        "web/json/__init__.py": "def dumps(obj):\n    '''Serialise.'''\n    pass\n",
        "web/app.py": "import typing as t\nimport json\nfrom .json import dumps as web_dumps\n",
        "scripts/cost_functions.py": "def sphere(x):\n    '''Sum of squares.'''\n    pass\n",
        "scripts/run.py": "from cost_functions import sphere\n",
        "src/lib/core.py": "def base():\n    '''Core.'''\n    pass\n",
        "src/lib/api.py": "from lib.core import base\n",
    }
    index = PackageIndex(modules)
    assert index.resolve_name("web/app.py", "t") is None  # the standard library's typing
    assert index.resolve_name("web/app.py", "json") is None
    assert index.resolve_name("web/app.py", "web_dumps") == Target("web/json/__init__.py", "dumps", "function")
    assert index.resolve_name("scripts/run.py", "sphere") == Target("scripts/cost_functions.py", "sphere", "function")
    assert index.resolve_name("src/lib/api.py", "base") == Target("src/lib/core.py", "base", "function")
