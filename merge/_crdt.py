"""Commit a merge to a shared pycrdt ``Text`` as minimal, local edits.

The spliced module is computed from the text as it is inside the caller's
transaction, then only the lines that differ are edited (the symbol's region,
each added import line, each hoisted helper), bottom-up so earlier offsets
stay valid.  Nothing else is deleted and reinserted, so concurrent edits to
other parts of the buffer survive the merge on every replica.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from pycrdt import Text

from crdt_ws._text import TextBuffer

from ._config import MergeConfig
from ._conflicts import ReconcileResult, reconcile
from ._extract import Extraction
from ._splice import SpliceResult, splice

__all__ = ["commit_to_text", "reconcile_text", "apply_source", "CommitResult"]


@dataclass(frozen=True)
class CommitResult:
    """The splice that was committed and how many separate text edits it took."""

    splice: SpliceResult
    edits: int
    changed: bool


def _line_offsets(lines: list[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def apply_source(buffer: TextBuffer, old: str, new: str) -> int:
    """Turn ``old`` (the buffer's current text) into ``new`` with one edit per changed hunk."""
    if old == new:
        return 0
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    offsets = _line_offsets(a)
    # A commit changes one region (and maybe the imports): match only what lies between the common head and
    # tail, so a module of thousands of lines is not run through difflib on every commit.
    head, most = 0, min(len(a), len(b))
    while head < most and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < most - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False)
    hunks = [(i1 + head, i2 + head, j1 + head, j2 + head) for tag, i1, i2, j1, j2 in middle.get_opcodes() if tag != "equal"]
    for i1, i2, j1, j2 in reversed(hunks):
        buffer.replace(offsets[i1], offsets[i2], "".join(b[j1:j2]))
    return len(hunks)


def commit_to_text(
    text: Text,
    qualname: str,
    implementation: Extraction | str,
    *,
    origin: object,
    config: MergeConfig | None = None,
) -> CommitResult:
    """Splice ``implementation`` into the shared buffer ``text`` for ``qualname``.

    Runs in one transaction tagged with ``origin``.  Committing the same
    implementation twice leaves one copy (the second commit changes nothing).
    A buffer that does not currently parse (someone is mid-edit elsewhere) is
    still committed to, region-only (see :func:`merge.splice`'s ``tolerant``).
    """
    doc = text.doc
    buffer = TextBuffer(text)
    with doc.transaction(origin=origin):
        old = buffer.source
        result = splice(old, qualname, implementation, config, tolerant=True)
        edits = apply_source(buffer, old, result.source)
    return CommitResult(splice=result, edits=edits, changed=edits > 0)


def reconcile_text(
    text: Text, *, origin: object, preferred: dict[str, str] | None = None, config: MergeConfig | None = None
) -> ReconcileResult:
    """Run :func:`reconcile` on the shared buffer and apply its removals as local edits.

    Concurrent commits of one symbol do not always leave two definitions: when
    both replicas kept the same ``def`` line, the CRDT interleaves their bodies
    into one function.  So each ``preferred`` implementation (the claim
    winner's result) is also re-committed, which replaces whatever the region
    holds now; every replica that does this converges on the same text.
    """
    buffer = TextBuffer(text)
    with text.doc.transaction(origin=origin):
        old = buffer.source
        result = reconcile(old, preferred=preferred)
        source = result.source
        for qualname, implementation in sorted((preferred or {}).items()):
            source = splice(source, qualname, implementation, config).source
        apply_source(buffer, old, source)
    return ReconcileResult(source=source, removed=result.removed)
