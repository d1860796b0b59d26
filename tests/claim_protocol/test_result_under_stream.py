"""A commit beside a neighbour's live stream records the region it committed, and the end-of-run restore leaves it alone.

The fault behind pyjwt's 0% parallel trial (issue 21): one agent streamed a
line with an open bracket into ``_validate_iat``; its neighbour then committed
``_validate_exp``, whose header spans several lines.  In that moment the buffer
did not parse and the indentation scan lost every definition after the open
bracket, so the TODO's ``result`` was recorded as the reply's dedented code
(imports and a top-level ``def``) instead of the method's region.  At the end
``restore_regions`` "put back" that text over the correct method: the final
buffer no longer imported while every verdict, given on the recorded results,
was a pass.  Both replicas are real pycrdt docs; the interleaving of their
transactions is spelled out, so the race is the same on every run.
"""

from __future__ import annotations

from pycrdt import Doc

from claim_protocol import ClaimBoard, restore_regions
from crdt_ws import TodoEntry, TodoStatus, Workspace, compiles, find_span

SKELETON = '''from typing import Any


class Token:
    def _validate_iat(self, payload: dict[str, Any], now: float) -> None:
        """Check "iat"."""
        raise NotImplementedError

    def _validate_exp(
        self,
        payload: dict[str, Any],
        now: float,
    ) -> None:
        """Check "exp" (it must not be in the past)."""
        raise NotImplementedError

    @staticmethod
    def _merge(
        options: dict[str, Any],
    ) -> dict[str, Any]:
        """Merge options."""
        raise NotImplementedError
'''

EXP = '''from .exceptions import ExpiredSignatureError


def _validate_exp(
    self,
    payload: dict[str, Any],
    now: float,
) -> None:
    if payload["exp"] <= now:
        raise ExpiredSignatureError("Signature has expired")
'''

MERGE = '''def _merge(
    options: dict[str, Any],
) -> dict[str, Any]:
    return {**options}
'''

IAT = '''    def _validate_iat(self, payload: dict[str, Any], now: float) -> None:
        """Check "iat"."""
        if payload["iat"] > now:
            raise ValueError("issued in the future")
'''


def _sync(*replicas: Workspace) -> None:
    for x in replicas:
        for y in replicas:
            if x is not y:
                y.doc.apply_update(x.doc.get_update(y.doc.get_state()))


def _todo(symbol: str) -> TodoEntry:
    return TodoEntry(id=f"token.py::{symbol}", file="token.py", symbol=symbol)


def test_a_commit_beside_an_open_bracket_records_its_region_and_nothing_is_restored() -> None:
    a, b = Workspace("a", Doc(client_id=1)), Workspace("b", Doc(client_id=2))
    a.create_file("token.py", SKELETON)
    for symbol in ("Token._validate_iat", "Token._validate_exp", "Token._merge"):
        a.add_todo(_todo(symbol))
    _sync(a, b)
    board_a, board_b = ClaimBoard(a), ClaimBoard(b)
    iat = board_a.claim("token.py::Token._validate_iat", 0.0)
    exp = board_b.claim("token.py::Token._validate_exp", 0.0)
    merge = board_b.claim("token.py::Token._merge", 0.0)
    _sync(a, b)
    assert board_a.verify(iat, 1.0) and board_b.verify(exp, 1.0) and board_b.verify(merge, 1.0)

    # a's live stream is mid-line, inside an open bracket, before the stub's last line (as the implementer streams).
    span = find_span(a.read("token.py"), "Token._validate_iat")
    at = span.start + a.read("token.py")[span.start : span.end].rstrip("\n").rfind("\n") + 1
    with a.stream("token.py", at) as writer:
        writer.write('        if payload["iat"] > now:\n            raise ValueError(')
        _sync(a, b)
        assert not compiles(b.read("token.py"))  # b commits into a buffer that does not parse right now
        board_b.complete(exp, EXP, 2.0)
        board_b.complete(merge, MERGE, 2.0)
        _sync(a, b)
        writer.write('"issued in the future")\n')
    board_a.complete(iat, IAT, 3.0)
    _sync(a, b)

    source = b.read("token.py")
    assert compiles(source)
    for todo_id in ("token.py::Token._validate_exp", "token.py::Token._merge"):
        entry = b.todo(todo_id)
        assert entry.status == TodoStatus.DONE
        region = find_span(source, entry.symbol)
        # The result is the method as it stands in the class (decorators, indentation), not the reply's text.
        assert entry.result is not None and source[region.start : region.end].strip() == entry.result.strip()
    assert "    @staticmethod\n    def _merge(" in source
    assert restore_regions(b) == []
    assert b.read("token.py") == source and compiles(source)


CLI = '''import click


@click.group()
def root_group():
    """Root."""
    raise NotImplementedError


@click.command()
@click.option('--bucket', required=True,
              help='The S3 bucket')
# pylint: disable=too-many-arguments
def download(bucket):
    """Downloads."""
    raise NotImplementedError


root_group.add_command(download)
'''


def test_a_decorated_command_committed_beside_a_stream_keeps_its_decorators_in_the_result() -> None:
    # trailscraper's cli.py: decorators over several lines and a comment before ``def``.  Before the fix the
    # region found while root_group's stream held an open bracket started at ``def download``: the result was
    # recorded without the decorators and the end-of-run restore rewrote the region to it.
    a, b = Workspace("a", Doc(client_id=1)), Workspace("b", Doc(client_id=2))
    a.create_file("cli.py", CLI)
    for symbol in ("root_group", "download"):
        a.add_todo(TodoEntry(id=symbol, file="cli.py", symbol=symbol))
    _sync(a, b)
    board_a, board_b = ClaimBoard(a), ClaimBoard(b)
    root, download = board_a.claim("root_group", 0.0), board_b.claim("download", 0.0)
    _sync(a, b)
    assert board_a.verify(root, 1.0) and board_b.verify(download, 1.0)
    span = find_span(a.read("cli.py"), "root_group")
    at = span.start + a.read("cli.py")[span.start : span.end].rstrip("\n").rfind("\n") + 1
    with a.stream("cli.py", at) as writer:
        writer.write("    print(")
        _sync(a, b)
        board_b.complete(download, "def download(bucket):\n    print(bucket)\n", 2.0)
        _sync(a, b)
        writer.write("'root')\n")
    board_a.complete(root, "def root_group():\n    print('root')\n", 3.0)
    _sync(a, b)
    source = b.read("cli.py")
    result = b.todo("download").result or ""
    assert result.startswith("@click.command()\n@click.option('--bucket', required=True,\n")
    assert "# pylint: disable=too-many-arguments\ndef download(bucket):\n" in result and result in source
    assert restore_regions(b) == [] and b.read("cli.py") == source and compiles(source)
