"""Spare repairs: replies drawn beside a repair in the tail and kept on its TODO for the next reopen.

Once every TODO has been drafted, a run is a chain of repairs: a check finds a fault, one agent repairs
it, the next check finds the next, while the other agents sit idle.  A repair that fails again costs a
whole model call on that chain (flask's ``App.__init__``: 18 s a call, three calls).  With
``SchedulerConfig.repair_samples`` = k, a repair in the tail asks for k replies at once: the first is
committed as usual, the others are kept on the TODO (the ``spares`` field: reply text and what its prompt
showed).  When the judge reopens that TODO again, the implementer that claims it commits a spare at once
instead of asking the model, so a failed repair costs a check run instead of a call.

The judge judges a committed spare like any commit; a spare is only a reply, so a peer that writes one
can do no more than a peer that commits code.  A spare that holds no usable implementation is dropped and
the model is asked as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crdt_ws import TodoEntry, Workspace, WorkspaceError

from ._readiness import drafted

__all__ = ["Spare", "spares_wanted", "take_spare", "keep_spares"]

SPARES = "spares"


@dataclass(frozen=True)
class Spare:
    """One kept reply: its text and the names of the code its prompt showed (the commit's ``seen``)."""

    reply: str
    shown: tuple[str, ...]

    def to_doc(self) -> dict[str, Any]:
        return {"reply": self.reply, "shown": list(self.shown)}


def spares_wanted(entry: TodoEntry, entries: list[TodoEntry], samples: int) -> int:
    """How many spare replies to ask for beside this claim of ``entry``: ``samples - 1`` for a repair (the
    judge reopened it; not a re-draft) once every other TODO has been drafted, else 0.

    Before that, idle agents are rare and a spare would take a call from a first draft.
    """
    if samples <= 1 or not _repair(entry):
        return 0
    if any(not drafted(e) for e in entries if e.id != entry.id):
        return 0
    return samples - 1


def take_spare(workspace: Workspace, entry: TodoEntry) -> Spare | None:
    """Remove the first spare kept on ``entry`` (claimed by this agent) and return it; None when none is kept.

    Only for a repair: not for a first draft (whatever a peer left there), nor a re-draft (a spare was drawn
    without the code a re-draft is asked to look at).
    """
    if not _repair(entry):
        return None
    kept = _spares((entry.model_extra or {}).get(SPARES))
    if not kept:
        return None
    workspace.update_todo(entry.id, **{SPARES: [s.to_doc() for s in kept[1:]]})
    return kept[0]


def keep_spares(workspace: Workspace, todo_id: str, spares: list[Spare]) -> None:
    """Add ``spares`` to those kept on the TODO (only its ``spares`` key is written: a claim or commit racing
    this write is untouched)."""
    if not spares:
        return
    with workspace.transaction():
        try:
            now = workspace.todo(todo_id)
        except WorkspaceError:
            return
        kept = _spares((now.model_extra or {}).get(SPARES))
        workspace.update_todo(todo_id, **{SPARES: [s.to_doc() for s in [*kept, *spares]]})
        workspace.log("spares_kept", todo_id, count=len(spares), attempt=now.attempt)


def _spares(value: object) -> list[Spare]:
    """The well-formed spares in a document value (anything else a peer wrote is ignored)."""
    out: list[Spare] = []
    for item in value if isinstance(value, list) else []:  # pyright: ignore[reportUnknownVariableType]
        if isinstance(item, dict):
            reply, shown = item.get("reply"), item.get("shown")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
            if isinstance(reply, str) and reply and isinstance(shown, list):
                out.append(Spare(reply, tuple(str(s) for s in shown)))  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return out


def _repair(entry: TodoEntry) -> bool:
    """Reopened by the judge for a repair (its ``repairs`` count), and not for a re-draft."""
    extra = entry.model_extra or {}
    repairs = extra.get("repairs")
    return isinstance(repairs, (int, float)) and repairs >= 1 and not extra.get("revising")
