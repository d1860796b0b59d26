"""The yardstick of bench.micro.projects_coupling: reference bodies -> the stubs they use, across modules."""

from __future__ import annotations

import textwrap

from bench.micro.coupling_truth import truth_pairs
from bench.micro.projects_coupling import _components, _truth_waves

REFERENCES = {
    "pkg/__init__.py": "from .base import Base as Base\n",
    "pkg/base.py": textwrap.dedent('''
        class Base:
            def __init__(self, n):
                self.n = n

            def size(self):
                return self.n

            @property
            def doubled(self):
                return self.n * 2
    '''),
    "pkg/util.py": textwrap.dedent('''
        def clamp(x, lo, hi):
            return max(lo, min(x, hi))


        def unused():
            return 0
    '''),
    "pkg/impl.py": textwrap.dedent('''
        import pkg.util as u
        from . import Base


        def helper(x):
            return x


        class Impl(Base):
            def __init__(self, n):
                super().__init__(n)

            def grow(self, by):
                return u.clamp(self.size() + by, 0, self.doubled)

            def lazy(self):
                from .util import clamp as c
                return c(1, 2, 3)

            def build(self):
                return Base(3), type(self).grow

            def callback(self):
                return list(map(helper, [1]))

            def shadow(self, helper):
                return helper(1)

            def not_a_call(self):
                return isinstance(self, Base)
    '''),
}
STUBS = {
    "pkg/base.py": ["Base.__init__", "Base.size", "Base.doubled"],
    "pkg/util.py": ["clamp", "unused"],
    "pkg/impl.py": ["helper", "Impl.__init__", "Impl.grow", "Impl.lazy", "Impl.build", "Impl.callback", "Impl.shadow", "Impl.not_a_call"],
}


def test_truth_follows_self_super_modules_local_imports_and_constructors() -> None:
    got = truth_pairs(REFERENCES, STUBS)
    i = "pkg/impl.py::Impl"
    assert got == {
        (f"{i}.__init__", "pkg/base.py::Base.__init__"),  # super().__init__ through the re-export
        (f"{i}.grow", "pkg/util.py::clamp"),  # import pkg.util as u; u.clamp
        (f"{i}.grow", "pkg/base.py::Base.size"),  # self.size() inherited
        (f"{i}.grow", "pkg/base.py::Base.doubled"),  # a property read runs it
        (f"{i}.lazy", "pkg/util.py::clamp"),  # an import inside the body, aliased
        (f"{i}.build", "pkg/base.py::Base.__init__"),  # Base(3) constructs
        (f"{i}.build", f"{i}.grow"),  # type(self).grow
        (f"{i}.callback", "pkg/impl.py::helper"),  # passed as a callback
    }
    # not in the truth: a parameter shadowing `helper`, isinstance(self, Base), the unused function, self.n (a field)


def test_truth_waves_count_mutual_recursion_as_one_level() -> None:
    stubs = {"m.py": ["a", "b", "c", "d"]}
    # a <-> b (mutual recursion), c -> a, d -> c
    truth = {("m.py::a", "m.py::b"), ("m.py::b", "m.py::a"), ("m.py::c", "m.py::a"), ("m.py::d", "m.py::c")}
    assert _truth_waves(stubs, truth) == 3
    comp = _components(["a", "b", "c"], {"a": ["b"], "b": ["a"], "c": ["a"]})
    assert comp["a"] == comp["b"] != comp["c"]
