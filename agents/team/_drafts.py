"""Picking among k drafts of one TODO: does this draft pass the TODO's own doctest examples?"""

from __future__ import annotations

import anyio

from agents.judge import Judge, VisibleChecks, outline_doctests
from agents.roles import DraftCheck, Snapshot, outline_of
from crdt_ws import TodoEntry, Workspace

__all__ = ["draft_checker"]


def draft_checker(judge: Judge, ws: Workspace) -> DraftCheck:
    """A check of one draft against the visible examples of its symbol, in the module as ``ws`` holds it now."""
    # One incrementally spliced snapshot for every check (not the whole module from
    # scratch per draft), spliced off the event loop; the lock keeps it consistent.
    snapshot: Snapshot | None = None
    lock = anyio.Lock()

    async def check(entry: TodoEntry, code: str) -> bool:
        nonlocal snapshot
        outline = outline_of(ws.meta, entry.file)
        doc = outline_doctests(outline).get(entry.symbol)
        if doc is None:
            return True
        async with lock:
            if snapshot is None or snapshot.outline != outline:
                snapshot = Snapshot(outline)
            same_file = [e for e in ws.list_todos() if e.file == entry.file]
            module = await anyio.to_thread.run_sync(snapshot.update, same_file, {entry.symbol: code})
        feedback = await judge.feedback(module, VisibleChecks(doctests={entry.symbol: doc}, pyright=False))
        return feedback.clean

    return check
