"""The outline of a buffer a model is streaming into: every other definition keeps its exact span.

A live stream holds a partial line (``raise Error(``, ``x = \"\"\"doc``) inside
its stub, so the module does not parse and spans come from the indentation
scan.  Before issue 21j the scan kept the bracket or string open past every
header that spans several lines (``def f(\\n    self,\\n) -> None:``), and
lost the definitions after it; a neighbour committing in that moment recorded
a result that was not its region (pyjwt's 0% parallel trial).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crdt_ws import SymbolNotFound, find_def_line, find_span, outline

MODULE = '''import click


class Token:
    def _validate_iat(self, payload, now):
        """Check "iat"."""
        raise NotImplementedError

    def _validate_exp(
        self,
        payload,
        now,
    ) -> None:
        """Check "exp".

        Example::

            def handler(token):
                return token
        """
        raise NotImplementedError

    @staticmethod
    def _merge(
        options,
    ):
        raise NotImplementedError


@click.command()
@click.option('--bucket', required=True,
              help='The S3 bucket')
# pylint: disable=too-many-arguments
def download(bucket):
    """Downloads."""
    raise NotImplementedError


def select(
    log_dir,
):
    raise NotImplementedError
'''

PARTIALS = ["raise Error(", 'x = """doc', "y = {'a': [1,", "return f(a,\n"]


def _streaming(source: str, symbol: str, partial: str) -> str:
    """``source`` with ``partial`` streamed before the last line of ``symbol``'s stub, at its body's indent."""
    span = find_span(source, symbol)
    at = span.start + source[span.start : span.end].rstrip("\n").rfind("\n") + 1
    return source[:at] + " " * (span.indent + 4) + partial + source[at:]


def _same_spans_but(source: str, broken: str, streaming: str) -> None:
    for span in outline(source):
        if span.kind != "def" or span.qualname == streaming:
            continue
        found = find_span(broken, span.qualname)
        assert broken[found.start : found.end] == source[span.start : span.end], (streaming, span.qualname)


@pytest.mark.parametrize("partial", PARTIALS)
@pytest.mark.parametrize("streaming", ["Token._validate_iat", "Token._validate_exp", "download"])
def test_a_partial_line_hides_no_other_definition(streaming: str, partial: str) -> None:
    _same_spans_but(MODULE, _streaming(MODULE, streaming, partial), streaming)


def test_decorators_over_several_lines_and_a_comment_belong_to_the_definition() -> None:
    broken = _streaming(MODULE, "Token._merge", "raise Error(")
    span = find_span(broken, "download")
    assert broken[span.start :].startswith("@click.command()\n@click.option('--bucket'")
    start, indent = find_def_line(broken, "download") or (-1, -1)
    assert (start, indent) == (span.start, 0)
    start, indent = find_def_line(broken, "Token._merge") or (-1, -1)
    assert broken[start:].startswith("    @staticmethod\n    def _merge(") and indent == 4


def test_a_docstring_example_is_not_a_definition() -> None:
    # The example's ``def handler(token):`` sits right of where the docstring opened: text, not a header.
    broken = MODULE.replace('"""Downloads."""', '"""Downloads.')  # an unterminated docstring: the scan's path
    with pytest.raises(SymbolNotFound):
        find_span(broken, "Token._validate_exp.handler")
    span = find_span(broken, "Token._validate_exp")
    assert broken[span.start : span.end] == MODULE[MODULE.index("    def _validate_exp(") : MODULE.index("\n\n    @staticmethod") + 1]


def test_a_statement_above_the_definition_is_not_a_decorator() -> None:
    source = "x = [\n    1,\n]\ndef f(\n    a,\n):\n    return (\n"
    assert find_def_line(source, "f") == (source.index("def f("), 0)


@pytest.mark.slow
def test_every_stub_of_the_projects_data_streams_without_moving_another_span(projects_dir: Path) -> None:
    from bench.suites import ProjectsSuite

    checked = 0
    for task in ProjectsSuite(data_dir=projects_dir).load().tasks:
        for module in task.modules:
            stubs = [s for s in outline(module.outline) if s.kind == "def" and s.qualname in set(module.stubs)]
            for stub in stubs[:: max(1, len(stubs) // 8)]:
                for partial in PARTIALS:
                    _same_spans_but(module.outline, _streaming(module.outline, stub.qualname, partial), stub.qualname)
                    checked += 1
    assert checked > 1000


@pytest.mark.parametrize(
    ("line", "before", "after"),
    [
        ("x = f(a, [b,\n", (None, 0), (None, 2)),
        ("    c])  # ) ] }\n", (None, 2), (None, 0)),  # a comment changes nothing
        ('s = "(" + \'[\'\n', (None, 0), (None, 0)),  # brackets inside one-line strings do not count
        ('    """Doc (opens\n', (None, 0), ('"""', 0)),
        ('    still (inside) # not a comment\n', ('"""', 0), ('"""', 0)),
        ("    ends here.\"\"\" + g(\n", ('"""', 0), (None, 1)),
        ("x = '''a''' + '''b\n", (None, 0), ("'''", 0)),
        ("y = 'unclosed ( \n", (None, 0), (None, 0)),  # a one-line string runs to the end of its line
        ("))))\n", (None, 1), (None, 0)),  # never below zero
    ],
)
def test_the_scan_carries_strings_and_brackets_from_line_to_line(line: str, before: tuple[str | None, int], after: tuple[str | None, int]) -> None:
    from crdt_ws._symbols import _carry  # pyright: ignore[reportPrivateUsage]

    assert _carry(line, *before) == after
