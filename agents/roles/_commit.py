"""What an implementer commits: the extraction itself, carried to the commit (no side channel)."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from crdt_ws import TodoEntry, Workspace, WorkspaceError
from merge import Extraction, MergeError, commit_to_text, extract, find_stub

from ._package import outline_of
from ._stream import reset_to_stub

__all__ = ["Implementation", "extract_against", "recorded_imports"]


@dataclass(frozen=True)
class Implementation:
    """One TODO's implementation as committed: applied inside the claim's completing transaction.

    The extraction keeps the imports and helpers the model wrote next to the
    function, so the commit splices those too, not only the function's code.
    """

    extraction: Extraction
    seen: tuple[str, ...] | None = None
    """The committed code the prompt showed (recorded on the TODO: the judge tells blind drafts by it); None: not recorded."""
    streamed: bool = False
    """This attempt streamed code into the region live: a failed commit puts the stub back."""

    @property
    def code(self) -> str:
        """The implementation as text: its imports, then the definition."""
        imports = "".join(cst.Module(body=[line]).code for line in self.extraction.imports)
        return (imports + "\n" if imports else "") + self.extraction.code

    def apply(self, workspace: Workspace, entry: TodoEntry) -> None:
        """Splice into ``entry``'s region (idempotent); raises ``MergeError``/``WorkspaceError`` with the stream undone."""
        try:
            commit_to_text(workspace.text(entry.file), entry.symbol, self.extraction, origin=workspace.agent_id)
        except (MergeError, WorkspaceError):
            # The claim is still ours here (ClaimBoard.complete checked): a half-applied stream must not stay.
            reset = reset_to_stub(workspace, entry) if self.streamed else None
            if reset is not None and reset[2]:
                workspace.log("stream_undone", entry.id, attempt=entry.attempt)
            raise
        if self.seen is not None:
            workspace.update_todo(entry.id, seen=list(self.seen))
        new = [cst.Module(body=[line]).code.strip() for line in self.extraction.imports]
        old = recorded_imports(workspace.todo(entry.id))
        if old or new:
            _drop_stale_imports(workspace, entry, [line for line in old if line not in new])
            # The result is the region only: the judge adds these back to its committed snapshot
            # and routes a module-level import conflict to the TODO that brought the import.
            workspace.update_todo(entry.id, imports=new or None)

    def __str__(self) -> str:
        return self.code


def recorded_imports(entry: TodoEntry) -> list[str]:
    """The import lines ``entry``'s last commit brought (recorded on its TODO: its result is the region only)."""
    raw = (entry.model_extra or {}).get("imports")
    return [str(x) for x in raw] if isinstance(raw, list) else []  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]


def _drop_stale_imports(workspace: Workspace, entry: TodoEntry, stale: list[str]) -> None:
    """Remove import lines an earlier attempt of ``entry`` brought and this one does not (a repair of a wrong import
    would otherwise leave it behind), unless the skeleton or another TODO's commit has the same line."""
    if not stale:
        return
    keep = set(outline_of(workspace.meta, entry.file).splitlines())
    for other in workspace.list_todos():
        if other.id != entry.id and other.file == entry.file:
            keep.update(recorded_imports(other))
    for line in stale:
        if line in keep:
            continue
        source = workspace.read(entry.file)
        at = source.find("\n" + line + "\n")
        start = 0 if source.startswith(line + "\n") else at + 1 if at >= 0 else -1
        if start >= 0:
            workspace.edit(entry.file, start, start + len(line) + 1, "")
            workspace.log("import_dropped", entry.id, line=line)


def extract_against(reply: str, symbol: str, outline: str) -> Extraction:
    """``extract``, given the outline's stub so a reply that is only a body gets the stub's signature."""
    try:
        stub = find_stub(outline, symbol) if outline else None
    except (MergeError, AssertionError):
        stub = None  # the outline lacks the symbol (an older plan): extract without a signature to lean on
    return extract(reply, symbol, stub=stub)
