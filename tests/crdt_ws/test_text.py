"""The str-index / UTF-8-byte boundary, symbol spans and streaming anchors."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pycrdt import Doc, Text

from crdt_ws import SymbolNotFound, TextBuffer, find_span, minimal_edit, outline
from crdt_ws._text import to_bytes, to_chars

SOURCE = '''import math


class Café:
    """Un café — très bon ✓."""

    @staticmethod
    def brew(temp: float = 93.5) -> str:
        """Brew at ``temp`` °C → return a label."""
        return f"☕ {temp}"

    def pour(self, cups):
        pass


def helper():
    return "ü"
'''


def make(source: str) -> TextBuffer:
    doc = Doc()
    text = doc.get("t", type=Text)
    text += source
    return TextBuffer(text)


def test_byte_char_round_trip_on_non_ascii() -> None:
    for i in range(len(SOURCE) + 1):
        assert to_chars(SOURCE, to_bytes(SOURCE, i)) == i
    assert to_bytes("é", 1) == 2 and to_bytes("☕", 1) == 3


def test_outline_finds_nested_symbols_with_decorators() -> None:
    spans = {s.qualname: s for s in outline(SOURCE)}
    assert list(spans) == ["Café", "Café.brew", "Café.pour", "helper"]
    brew = SOURCE[spans["Café.brew"].start : spans["Café.brew"].end]
    assert brew.startswith("    @staticmethod\n    def brew")
    assert brew.endswith('return f"☕ {temp}"\n')
    assert SOURCE[spans["helper"].start :].startswith("def helper")


def test_outline_tolerates_a_method_mid_stream() -> None:
    broken = SOURCE.replace("    def pour(self, cups):\n        pass\n", "    def pour(self, cups):\n        return [c for c in (\n")
    names = [s.qualname for s in outline(broken)]
    assert names[:3] == ["Café", "Café.brew", "Café.pour"]
    pour = find_span(broken, "Café.pour")
    assert broken[pour.start : pour.end].startswith("    def pour")


def test_unknown_symbol_is_a_typed_error() -> None:
    try:
        find_span(SOURCE, "Café.grind")
    except SymbolNotFound as exc:
        assert "Café.grind" in str(exc)
    else:
        raise AssertionError("expected SymbolNotFound")


def test_replace_symbol_edits_only_its_region() -> None:
    buf = make(SOURCE)
    new = "    def pour(self, cups):\n        return [\"☕\"] * cups  # é\n"
    buf.replace_symbol("Café.pour", new)
    assert buf.source == SOURCE.replace("    def pour(self, cups):\n        pass\n", new)


def test_minimal_edit_trims_common_prefix_and_suffix() -> None:
    assert minimal_edit("abcXYZdef", "abc123def") == (3, 6, "123")
    assert minimal_edit("same", "same") == (4, 4, "")
    assert minimal_edit("aaa", "aaaa") == (3, 3, "a")


@given(st.text(max_size=40), st.data())
def test_replace_matches_python_slicing(source: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, len(source)))
    new = data.draw(st.text(max_size=20))
    buf = make(source)
    buf.replace(start, end, new)
    assert buf.source == source[:start] + new + source[end:]


def test_stream_anchor_keeps_chunks_together_under_concurrent_edits() -> None:
    a_doc, b_doc = Doc(), Doc()
    a_text = a_doc.get("t", type=Text)
    a_text += SOURCE
    b_doc.apply_update(a_doc.get_update())
    b = TextBuffer(b_doc.get("t", type=Text))
    a = TextBuffer(a_text)
    at = find_span(SOURCE, "Café.pour").end
    anchor = a.anchor(at)
    chunks = ["    def grind(self):\n", "        return 'ø'", " * 2\n"]
    for i, chunk in enumerate(chunks):
        anchor.write(chunk)
        # The other replica edits before and after the stream meanwhile.
        b.insert(0, f"# edit {i} é\n")
        b.insert(len(b.source), f"# tail {i}\n")
        a_doc.apply_update(b_doc.get_update(a_doc.get_state()))
        b_doc.apply_update(a_doc.get_update(b_doc.get_state()))
    assert a.source == b.source
    # Contiguous, and exactly where the stream started: right after Café.pour.
    assert "".join(chunks) + "\n\ndef helper" in a.source
    assert find_span(a.source, "Café.grind")


def test_stream_anchor_at_end_of_text_does_not_panic() -> None:
    buf = make("x = 1\n")
    anchor = buf.anchor(len(buf.source))
    anchor.write("y = 'é'\n")
    anchor.write("z = 3\n")
    assert buf.source == "x = 1\ny = 'é'\nz = 3\n"
    empty = make("")
    anchor = empty.anchor(0)
    anchor.write("a")
    anchor.write("b")
    assert empty.source == "ab"


def test_unclosed_string_or_bracket_does_not_swallow_the_next_method() -> None:
    for broken_body in ['        return """unterminated\n', "        return [1, 2,\n"]:
        broken = SOURCE.replace("        pass\n", broken_body, 1)
        pour = find_span(broken, "Café.pour")
        assert broken[pour.start : pour.end] == "    def pour(self, cups):\n" + broken_body
        assert [s.qualname for s in outline(broken)][-1] == "helper"


def test_a_half_streamed_docstring_does_not_swallow_the_next_decorator() -> None:
    # Found in a crash test: an agent died mid-stream inside _dot, leaving an open
    # docstring; the region of _dot took identity's @classmethod with it, and the
    # reclaimer's reset of that region deleted the decorator.
    source = (
        "class M:\n"
        "    @staticmethod\n"
        "    def _dot(a, b):\n"
        '        """Dot."""\n'
        "        def _dot(a, b):\n"
        '            """Dot product of\n'
        "\n"
        "    @classmethod\n"
        "    @functools.cache\n"
        "    def identity(cls, n):\n"
        "        pass\n"
    )
    dot, identity = find_span(source, "M._dot"), find_span(source, "M.identity")
    assert source[dot.start : dot.end].endswith('"""Dot product of\n')
    assert source[identity.start :].startswith("    @classmethod\n    @functools.cache\n    def identity")
