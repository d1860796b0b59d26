"""Symbol regions of done TODOs: committing, repairing and restoring them in the buffer.

A done TODO's ``result`` is what the judge passed; these keep the buffer
holding exactly one copy of it under double claims, late completions and
half-streamed replies from agents that were cut off.
"""

from __future__ import annotations

import itertools

from crdt_ws import SymbolSpan, TodoEntry, TodoStatus, Workspace, outline, split_occurrence
from merge import MergeError, commit_to_text, reconcile_text, symbol_region

__all__ = ["commit_symbol", "region_clean", "region_text", "repair_symbol", "restore_regions"]


def commit_symbol(workspace: Workspace, entry: TodoEntry, code: str) -> None:
    """Splice ``code`` into the region of ``entry.symbol`` with libcst (idempotent)."""
    commit_to_text(workspace.text(entry.file), entry.symbol, code, origin=workspace.agent_id)


def repair_symbol(workspace: Workspace, entry: TodoEntry) -> bool:
    """Leave one copy of the winner's result in the buffer; True if anything changed."""
    assert entry.result is not None
    text = workspace.text(entry.file)
    before = str(text)
    try:
        reconcile_text(text, origin=workspace.agent_id, preferred={entry.symbol: entry.result})
    except MergeError:
        # Concurrent edits of one line can interleave into code that does not
        # parse; replacing the symbol's region (found by indentation) repairs it.
        commit_to_text(text, entry.symbol, entry.result, origin=workspace.agent_id)
    return str(text) != before


def restore_regions(workspace: Workspace, only: set[str] | None = None) -> list[str]:
    """Put every done TODO's recorded result back where the buffer no longer holds exactly it.

    A safety net for the end of a run: a completion that arrives after
    every claim loop has ended (a relay restart, a healed partition) can leave
    two implementations merged in one region with nobody left to repair it,
    while the TODO's verdict was given on its recorded result.  Returns the
    ids restored (each also logged as a ``region_restored`` event).  ``only``
    limits it to those TODOs (an agent cleaning up after its own streams).
    """
    restored: list[str] = []
    for entry in workspace.list_todos():
        if only is not None and entry.id not in only:
            continue
        if entry.status != TodoStatus.DONE or not entry.result or entry.file not in workspace.files:
            continue
        if region_clean(workspace.read(entry.file), entry):
            continue
        with workspace.transaction():
            try:
                repair_symbol(workspace, entry)
            except MergeError as exc:
                workspace.log("repair_failed", entry.id, error=str(exc))
                continue
            _drop_extra_copies(workspace, entry)
            workspace.log("region_restored", entry.id)
        restored.append(entry.id)
    return restored


def _drop_extra_copies(workspace: Workspace, entry: TodoEntry) -> None:
    """Delete further definitions of the symbol left beside the result (a loser's half-streamed copy).

    In a module that does not parse, a commit replaces only the first region
    the indentation scan finds; a second copy is what keeps it from parsing.
    """
    for _ in range(16):  # bounded: each pass deletes one copy
        source = workspace.read(entry.file)
        spans = _copies(source, entry)
        if len(spans) < 2:
            return
        keep = next((sp for sp in spans if source[sp.start : sp.end].strip() == (entry.result or "").strip()), spans[0])
        extra = next(sp for sp in reversed(spans) if sp is not keep)
        workspace.edit(entry.file, extra.start, extra.end, "")


def region_clean(source: str, entry: TodoEntry) -> bool:
    """The buffer holds exactly one definition of the symbol, and it is the result."""
    spans = _copies(source, entry)
    return len(spans) == 1 and source[spans[0].start : spans[0].end].strip() == (entry.result or "").strip()


def region_text(source: str, symbol: str) -> str | None:
    """The symbol's text as it now stands in the buffer (what ``result`` records), found as the commit found it
    when the buffer does not parse (a neighbour mid-stream)."""
    region = symbol_region(source, symbol)
    return None if region is None else source[region[0] : region[1]]


def _copies(source: str, entry: TodoEntry) -> list[SymbolSpan]:
    """The definitions in ``source`` that are ``entry.symbol``'s: its region and any copy a double commit left.

    A name defined more than once on purpose (``Cls.x`` the getter, ``Cls.x#2`` the setter) is numbered by
    occurrence, so a copy shifts the numbers after it: copies are told by the name and the decorators of the
    TODO's result (a setter's copy is ``@x.setter``, never the getter).
    """
    try:
        base = split_occurrence(entry.symbol)[0]
    except ValueError:
        return []
    same = [sp for sp in outline(source) if sp.kind == "def" and split_occurrence(sp.qualname)[0] == base]
    if len(same) < 2 or not entry.result:
        return same
    want = _decorator_lines(entry.result)
    return [sp for sp in same if _decorator_lines(source[sp.start : sp.end]) == want]


def _decorator_lines(code: str) -> tuple[str, ...]:
    lines = [line.strip() for line in code.strip("\n").splitlines()]
    return tuple(line for line in itertools.takewhile(lambda line: line.startswith("@"), lines))
