"""agents.roles._import_time: which stubs of a package run when it is imported."""

from __future__ import annotations

from agents.roles._import_time import import_time

STUB = '    """Doc."""\n    pass\n'
BODY = '        """Doc."""\n        pass\n'  # a method's

MODULES = {
    "pkg/__init__.py": "from .core import Registry, build, register\n\nDEFAULT = build()\n",
    "pkg/core.py": (
        "class Registry:\n"
        "    def __init__(self):\n" + BODY +
        "    def add(self, item):\n" + BODY +
        "\n\ndef build():\n" + STUB +
        "\n\ndef register(fn):\n" + STUB +
        "\n\ndef route(path):\n" + STUB +
        "\n\ndef helper():\n" + STUB +
        "\n\ndef default_limit():\n" + STUB +
        "\n\ndef unused():\n" + STUB
    ),  # fmt: skip
    "pkg/views.py": (
        "from .core import Registry, register, route, default_limit, unused\n\n"
        "@register\n"
        "def index(limit=default_limit()):\n" + STUB +
        "\n\n@route('/about')\n"
        "def about():\n" + STUB +
        "\n\nclass Page:\n"
        "    registry = Registry()\n"
        "    later = lambda self: unused()\n"
        "    def render(self):\n" + BODY +
        "\n\nif __name__ == '__main__':\n"
        "    unused()\n"
    ),  # fmt: skip
    "pkg/__main__.py": "from .core import unused\n\nunused()\n",
}
STUBS = {
    "pkg/core.py": ["Registry.__init__", "Registry.add", "build", "register", "route", "helper", "default_limit", "unused"],
    "pkg/views.py": ["index", "about", "Page.render"],
}


def test_module_level_calls_decorators_defaults_and_class_bodies_run_at_import() -> None:
    found = import_time(MODULES, STUBS, {})
    assert found == [
        "pkg/core.py::Registry.__init__",  # Registry() in a class body
        "pkg/core.py::build",  # DEFAULT = build() in the package's __init__
        "pkg/core.py::register",  # @register
        "pkg/core.py::route",  # @route('/about')
        "pkg/core.py::default_limit",  # a default value
    ]


def test_function_bodies_lambdas_the_main_guard_and_dunder_main_do_not() -> None:
    found = set(import_time(MODULES, STUBS, {}))
    assert "pkg/core.py::unused" not in found
    assert "pkg/views.py::index" not in found and "pkg/views.py::Page.render" not in found


def test_what_an_import_time_stub_needs_runs_with_it() -> None:
    deps = {"pkg/core.py::build": ["pkg/core.py::helper"], "pkg/core.py::helper": ["pkg/core.py::Registry.add"]}
    found = import_time(MODULES, STUBS, deps)
    assert "pkg/core.py::helper" in found and "pkg/core.py::Registry.add" in found
    assert "pkg/core.py::unused" not in found


def test_a_package_with_no_import_time_code_has_none() -> None:
    modules = {"m.py": "def f():\n" + STUB + "\n\ndef g():\n" + STUB + "\n\nX = [1, 2]\n"}
    assert import_time(modules, {"m.py": ["f", "g"]}, {"m.py::f": ["m.py::g"]}) == []
