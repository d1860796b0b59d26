"""When a done TODO can be judged: once the TODOs its check depends on have their verdicts.

What a check depends on: the TODO's predicted deps, the stubs its doctest
examples call, and the stubs its committed code really uses (calls and
``self``/``cls`` attributes, matched by name).
"""

from __future__ import annotations

import re

from crdt_ws import TodoEntry, TodoStatus

from agents.judge import outline_doctests
from agents.scheduler import awaiting_verdict

__all__ = ["judgeable", "needs"]

_CALL = re.compile(r"\b(\w+)\s*\(")
_ATTR = re.compile(r"\b(?:self|cls)\.(\w+)")


def needs(entries: list[TodoEntry], outline: str) -> dict[str, list[TodoEntry]]:
    """For each TODO, the TODOs its check depends on.

    Its predicted deps, the stubs its doctest examples call, and the stubs its
    committed code really uses: now that the body exists, that is no longer a guess.
    """
    by_id = {e.id: e for e in entries}
    names = {e.symbol.rsplit(".", 1)[-1]: e for e in entries}
    examples = outline_doctests(outline)
    out: dict[str, list[TodoEntry]] = {}
    for entry in entries:
        found = {d: by_id[d] for d in entry.deps if d in by_id}
        code = entry.result or ""
        for name in _CALL.findall(examples.get(entry.symbol, "")) + _CALL.findall(code) + _ATTR.findall(code):
            other = names.get(name)
            if other is not None and other.id != entry.id:
                found[other.id] = other
        out[entry.id] = list(found.values())
    return out


def judgeable(entries: list[TodoEntry], needs: dict[str, list[TodoEntry]]) -> list[TodoEntry]:
    """Done, unjudged TODOs whose checks' dependencies are judged (all of them once only cycles remain)."""
    waiting = [e for e in entries if awaiting_verdict(e)]
    strict = [e for e in waiting if all(_settled(d) and not awaiting_verdict(d) for d in needs[e.id])]
    if strict or any(not _settled(e) for e in entries):
        return strict
    # Nothing left in progress and still nothing judgeable: the checks depend on each
    # other in a cycle, so judge every one of them now.
    return waiting


def _settled(entry: TodoEntry) -> bool:
    return entry.status in (TodoStatus.DONE, TodoStatus.FAILED)
