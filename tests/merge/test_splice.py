"""Splicing: contract kept, imports merged, helpers hoisted without clobbering, idempotent."""

from __future__ import annotations

import pytest

from merge import (
    ImportConflict,
    InvalidMerge,
    MergeConfig,
    NameClash,
    SignatureChanged,
    SymbolNotInModule,
    UnparsableModule,
    splice,
)

MODULE = '''"""Geometry helpers — é → ü."""
import math
import numpy as np
from typing import List


def clamp(v):
    return max(0, v)


class Shape:
    """A shape."""

    def __init__(self, w):
        self.w = w

    @staticmethod
    def area(w: float, h: float = 1.0) -> float:
        """Area of w×h.
        >>> Shape.area(2, 3)
        6
        """

    def scale(self, k):
        """Scale by k."""
        pass
'''


def test_dropped_staticmethod_and_contract_restored() -> None:
    reply = "```python\ndef area(w, h=5):\n    '''model doc'''\n    return w * h\n```"
    r = splice(MODULE, "Shape.area", reply)
    assert "    @staticmethod\n    def area(w: float, h: float = 1.0) -> float:\n        \"\"\"Area of w×h." in r.source
    assert "model doc" not in r.source and "return w * h" in r.source
    assert not r.signature_changed
    # Everything outside the symbol is untouched.
    head, tail = MODULE.split("    @staticmethod")[0], MODULE.split("    def scale")[1]
    assert r.source.startswith(head) and r.source.endswith(tail)


def test_reply_docstring_policy() -> None:
    reply = "def area(w, h=1.0):\n    '''model doc'''\n    return w * h\n"
    r = splice(MODULE, "Shape.area", reply, MergeConfig(docstring="reply"))
    assert "model doc" in r.source and "Area of" not in r.source


def test_self_added_to_staticmethod_is_dropped() -> None:
    r = splice(MODULE, "Shape.area", "def area(self, w, h=1.0):\n    return w * h\n")
    assert "def area(w: float, h: float = 1.0)" in r.source


def test_signature_change_reported_or_refused() -> None:
    reply = "def scale(self, factor, around=None):\n    self.w *= factor\n"
    r = splice(MODULE, "Shape.scale", reply)
    assert r.signature_changed and "def scale(self, factor, around=None):" in r.source
    assert [c.kind for c in r.conflicts] == ["signature_change"]
    with pytest.raises(SignatureChanged):
        splice(MODULE, "Shape.scale", reply, MergeConfig(allow_signature_change=False))


def test_dropped_self_is_restored() -> None:
    r = splice(MODULE, "Shape.scale", "def scale(k):\n    return k\n")
    assert "def scale(self, k):" in r.source


def test_imports_deduplicated_aliases_kept_unused_dropped() -> None:
    reply = """```python
import math
import numpy as np
import pandas as pd
from collections import OrderedDict as OD, Counter
import json

def scale(self, k):
    c = Counter(OD(a=math.pi))
    self.w = pd.Series(np.array([self.w * k]))
```"""
    r = splice(MODULE, "Shape.scale", reply)
    assert r.added_imports == ("import pandas as pd", "from collections import OrderedDict as OD", "from collections import Counter")
    assert r.source.count("import math") == 1 and "import json" not in r.source
    assert r.source.index("import pandas as pd") < r.source.index("def clamp")
    every = splice(MODULE, "Shape.scale", reply, MergeConfig(imports="all"))
    assert "import json" in every.source
    none = splice(MODULE, "Shape.scale", reply, MergeConfig(imports="none", auto_import_stdlib=False))
    assert none.added_imports == ()


def test_import_conflict_skipped_or_raised() -> None:
    reply = "import numexpr as np\n\ndef scale(self, k):\n    return np.evaluate('k')\n"
    r = splice(MODULE, "Shape.scale", reply)
    assert "numexpr" not in r.source
    assert [c.kind for c in r.conflicts] == ["import_skipped"]
    with pytest.raises(ImportConflict):
        splice(MODULE, "Shape.scale", reply, MergeConfig(on_import_conflict="error"))


def test_missing_stdlib_import_added() -> None:
    r = splice(MODULE, "Shape.scale", "def scale(self, k):\n    return statistics.mean([k, re.escape('x')])\n")
    assert r.added_imports == ("import re", "import statistics")
    no = splice(MODULE, "Shape.scale", "def scale(self, k):\n    return statistics.mean([k])\n", MergeConfig(auto_import_stdlib=False))
    assert no.added_imports == ()
    alias = splice(MODULE, "Shape.scale", "def scale(self, k):\n    return pd.Series([k]), np.zeros(k)\n")
    assert alias.added_imports == ("import pandas as pd",)  # np is already bound by the module


def test_helpers_hoisted_and_existing_not_clobbered() -> None:
    reply = '''```python
LIMIT = 10

def clamp(v):
    return min(LIMIT, v)

def unused():
    return 0

class Shape:
    def scale(self, k):
        self.w = clamp(self._factor(k))

    def _factor(self, k):
        return k * RATIO

RATIO = 2
```'''
    r = splice(MODULE, "Shape.scale", reply)
    assert r.renamed == {"clamp": "clamp_2"}
    assert "def clamp(v):\n    return max(0, v)" in r.source  # the module's own clamp survives
    assert "def clamp_2(v):\n    return min(LIMIT, v)" in r.source
    assert "self.w = clamp_2(self._factor(k))" in r.source
    assert "    def _factor(self, k):" in r.source and "RATIO = 2" in r.source and "LIMIT = 10" in r.source
    assert "unused" not in r.source
    assert set(r.hoisted) == {"Shape._factor", "LIMIT", "clamp", "RATIO"}
    ns: dict[str, object] = {}
    exec(compile(r.source, "m", "exec"), ns)
    shape = ns["Shape"](1)  # type: ignore[operator]
    shape.scale(3)
    assert shape.w == 6
    again = splice(r.source, "Shape.scale", reply)
    assert again.source == r.source
    keep = splice(MODULE, "Shape.scale", reply, MergeConfig(on_name_clash="keep_existing"))
    assert "clamp_2" not in keep.source and "self.w = clamp(" in keep.source
    with pytest.raises(NameClash):
        splice(MODULE, "Shape.scale", reply, MergeConfig(on_name_clash="error"))
    flat = splice(MODULE, "Shape.scale", reply, MergeConfig(hoist_helpers=False))
    assert "_factor(self" not in flat.source


def test_identical_helper_is_not_duplicated() -> None:
    reply = "def clamp(v):\n    return max(0, v)\n\ndef scale(self, k):\n    self.w = clamp(k)\n"
    r = splice(MODULE, "Shape.scale", reply)
    assert r.source.count("def clamp") == 1 and r.renamed == {}


def test_other_todo_stub_is_not_overwritten_by_reply_copy() -> None:
    reply = "class Shape:\n    def area(w, h):\n        return 0\n\n    def scale(self, k):\n        return self.area(k, k)\n"
    r = splice(MODULE, "Shape.scale", reply)
    assert r.source.count("def area") == 1 and "return 0" not in r.source


def test_splice_is_idempotent_and_replaces_previous_implementation() -> None:
    first = splice(MODULE, "Shape.scale", "import json\ndef scale(self, k):\n    return json.dumps(k)\n")
    assert splice(first.source, "Shape.scale", "import json\ndef scale(self, k):\n    return json.dumps(k)\n").source == first.source
    second = splice(first.source, "Shape.scale", "def scale(self, k):\n    return k * 2\n")
    assert "json.dumps" not in second.source and second.source.count("def scale") == 1


def test_top_level_function_target() -> None:
    r = splice(MODULE, "clamp", "def clamp(v):\n    return abs(v)\n")
    assert "return abs(v)" in r.source and "max(0, v)" not in r.source


def test_errors() -> None:
    with pytest.raises(SymbolNotInModule):
        splice(MODULE, "Shape.rotate", "def rotate(self):\n    return 1\n")
    with pytest.raises(SymbolNotInModule):
        splice(MODULE, "Circle.area", "def area(self):\n    return 1\n")
    with pytest.raises(UnparsableModule):
        splice(MODULE + "\n    def broken(:\n", "Shape.scale", "def scale(self, k):\n    return 1\n")
    with pytest.raises(InvalidMerge):
        splice(MODULE, "Shape.scale", "def scale(self, k):\n    await k\n")


def test_tolerant_splice_into_a_broken_module_keeps_other_definitions() -> None:
    broken = MODULE.replace('        """Scale by k."""\n        pass\n', '        """Scale by k.\n        pass\n\n    def other(self):\n        return 1\n')
    with pytest.raises(UnparsableModule):
        splice(broken, "Shape.scale", "def scale(self, k):\n    return k\n")
    r = splice(broken, "Shape.scale", "import json\ndef scale(self, k):\n    return json.dumps(k), re.escape(k), pd.Series()\n", tolerant=True)
    assert "def other(self):\n        return 1" in r.source
    assert "return json.dumps(k)" in r.source
    assert r.added_imports == ("import json", "import pandas as pd", "import re")
    assert r.parses  # replacing the stub with the broken docstring repaired the module
