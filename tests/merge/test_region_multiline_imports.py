"""A splice into a module that does not parse right now (a neighbour mid-stream) and parenthesised imports.

Found on python-hl7 with four agents: every commit re-inserted the module's own
``from .exceptions import (...)`` inside that very statement, and concurrent
commits stacked the copies, so the final module did not parse.
"""

from __future__ import annotations

from merge import extract, splice
from crdt_ws import compiles

SKELETON = '''import logging
from .exceptions import (
    A,
    B,
)


def f():
    """f."""
    pass


def g():
    """g."""
    pass
'''
# g's reply is streaming: its import nested in the stub, and a line that does not parse yet.
LIVE = SKELETON.replace('    """g."""\n    pass', '    """g."""\n    from .exceptions import (\n        A,\n    )\n    def g():\n    pass')


def commit(reply: str) -> str:
    assert not compiles(LIVE)
    return splice(LIVE, "f", extract(f"```python\n{reply}```", "f"), tolerant=True).source


def test_an_import_the_module_already_has_in_parentheses_is_not_added_again() -> None:
    for same in ("from .exceptions import (\n    A,\n    B,\n)\n", "from .exceptions import A, B\n"):
        out = commit(same + "\n\ndef f():\n    return A\n")
        assert out.count("from .exceptions import") == 2  # the header's and g's nested one, nothing more
        assert out == LIVE.replace('    """f."""\n    pass', '    """f."""\n    return A')


def test_a_new_import_goes_after_the_last_import_statement_never_inside_one() -> None:
    out = commit("from .other import (\n    C,\n)\nimport os\n\n\ndef f():\n    return C, os\n")
    header = out.split("\n\n\ndef f")[0]
    assert header == "import logging\nfrom .exceptions import (\n    A,\n    B,\n)\nfrom .other import (\n    C,\n)\nimport os"
    fixed = out.replace("    def g():\n    pass", "    pass")  # once g's stream ends the module parses
    assert compiles(fixed)
