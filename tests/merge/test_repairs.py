"""Reply repairs: a body whose first line hangs at column 0, a private method written without its underscores."""

from __future__ import annotations

import pytest

from merge import NoImplementationFound, extract, find_stub, splice

MODULE = '''class Doc:
    def __init__(self, path):
        self.path = path

    def write(self, text, size=12):
        """Write text."""

    def format(self, text):
        """Public formatter."""

    def __squash(self, text):
        """Collapse blank lines."""

    def _clean(self, text):
        """Strip the text."""
'''

# The model continued the prompt: first line at column 0, the rest at the method's depth.
HANGING_BODY = """lines = [text] * size
        if not lines:
            return False
        return len(lines)
"""


def test_body_with_hanging_first_line_is_realigned() -> None:
    ext = extract(HANGING_BODY, "Doc.write", stub=find_stub(MODULE, "Doc.write"))
    assert "align_first_line" in ext.repairs and "body_only" in ext.repairs
    r = splice(MODULE, "Doc.write", HANGING_BODY)
    assert '        """Write text."""\n        lines = [text] * size\n        if not lines:\n' in r.source
    ns: dict[str, object] = {}
    exec(r.source, ns)
    assert ns["Doc"]("p").write("x", 3) == 3  # type: ignore[operator]


def test_private_method_written_without_underscores() -> None:
    reply = "```python\ndef squash(self, text):\n    return '\\n'.join(l for l in text.split('\\n') if l)\n```"
    r = splice(MODULE, "Doc.__squash", reply)
    assert r.extraction is not None and "underscores_dropped" in r.extraction.repairs
    assert "    def __squash(self, text):\n" in r.source and "def squash" not in r.source
    ns: dict[str, object] = {}
    exec(r.source, ns)
    assert ns["Doc"]("p")._Doc__squash("a\n\nb") == "a\nb"  # type: ignore[operator]


@pytest.mark.parametrize("qualname", ["Doc._format", "Doc.__format"])
def test_bare_name_owned_by_a_sibling_is_not_taken(qualname: str) -> None:
    # A reply to "_format" that implemented format is the sibling's code, not this method's.
    module = MODULE.replace("def _clean", "def _format").replace("def __squash", "def __format")
    reply = "def format(self, text):\n    return text.upper()\n"
    with pytest.raises(NoImplementationFound):
        splice(module, qualname, reply)
