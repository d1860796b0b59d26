"""Structural conflicts and the deterministic reconciler."""

from __future__ import annotations

from merge import find_conflicts, reconcile, signature_changes

DUPES = '''import os
import os
from json import dumps as render
from pickle import dumps as render


class Stack:
    def push(self, item):
        """Push."""

    def push(self, item):
        self.items.append(("winner", item))

    def push(self, item):
        self.items.append(("loser", item))


def render():
    return 1
'''


def test_find_conflicts_reports_each_kind() -> None:
    found = {(c.kind, c.name): c for c in find_conflicts(DUPES)}
    assert found[("duplicate_definition", "Stack.push")].lines == (8, 11, 14)
    assert "from json import dumps" in found[("conflicting_import", "render")].detail
    assert set(found) == {("duplicate_definition", "Stack.push"), ("conflicting_import", "render")}
    shadowed = [c for c in find_conflicts(DUPES) if "shadowed" in c.detail]
    assert shadowed and shadowed[0].lines[1] == 18
    assert find_conflicts("import os\n\ndef f():\n    return os\n") == []


def test_reconcile_keeps_first_non_stub_and_removes_repeated_imports() -> None:
    r = reconcile(DUPES)
    assert r.source.count("def push") == 1 and "winner" in r.source
    assert r.source.count("import os") == 1
    assert sorted(r.removed) == ["Stack.push", "Stack.push", "import os"]
    assert reconcile(r.source).source == r.source  # nothing left to do


def test_reconcile_prefers_the_recorded_winner() -> None:
    winner = "def push(self, item):\n    self.items.append(('loser', item))\n"
    r = reconcile(DUPES, preferred={"Stack.push": winner})
    assert "'loser'" not in DUPES  # double quotes in the source: comparison is on the syntax tree
    assert '("loser", item)' in r.source and "winner" not in r.source


def test_reconcile_is_deterministic_across_replicas() -> None:
    assert reconcile(DUPES).source == reconcile(DUPES).source


def test_signature_changes() -> None:
    before = "class A:\n    @staticmethod\n    def f(x, y=1):\n        pass\n\n    def g(self):\n        pass\n"
    after = "class A:\n    def f(self, x, y=1):\n        return 1\n\n    def g(self):\n        return 2\n"
    changes = signature_changes(before, after)
    assert [(c.kind, c.name) for c in changes] == [("signature_change", "A.f")]
    assert "@staticmethod" in changes[0].detail
