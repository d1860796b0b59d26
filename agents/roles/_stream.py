"""Live streaming of a model reply into its method's region.

Only the code inside the reply's first fenced block is streamed; prose never
reaches the buffer.  Each line is indented to the stub's *body* level, so
while a model types ``def push(self, x): ...`` the buffer holds it as a
nested function inside the stub: the module keeps parsing, the region stays
the symbol's own (concurrent streams into neighbouring stubs cannot run into
each other), and the final commit replaces the whole region with the
extracted implementation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import ExitStack

from crdt_ws import StreamWriter, SymbolSpan, TodoEntry, Workspace, WorkspaceError, find_span
from merge import symbol_region

from ._package import outline_of

__all__ = ["FenceFilter", "LiveCode", "reset_to_stub"]

_FENCE = "```"
_FUTURE = "from __future__"


class FenceFilter:
    """Turns raw reply chunks into indented code chunks (``feed`` per chunk, then ``flush``)."""

    def __init__(self, indent: str) -> None:
        self.indent = indent
        self._state = "prose"  # prose -> header (rest of the opening ``` line) -> code -> done
        self._line = ""  # prose: the current line; code: characters held back from output
        self._started = False  # code: the current line has been emitted in part

    @property
    def done(self) -> bool:
        """The closing fence was seen: the rest of the reply is ignored."""
        return self._state == "done"

    def feed(self, chunk: str) -> str:
        return "".join(self._char(ch) for ch in chunk)

    def flush(self) -> str:
        """What is held back at the end of the reply (an unterminated last line)."""
        held, self._line = self._line, ""
        if self._state == "code" and not self._started and held.strip() and held.strip() != _FENCE and not held.startswith(_FUTURE):
            return self.indent + held
        return ""

    def _char(self, ch: str) -> str:
        if self._state == "prose":
            self._line = "" if ch == "\n" else self._line + ch
            if self._line.lstrip().startswith(_FENCE):
                self._state, self._line = "header", ""
            return ""
        if self._state == "header":  # the language tag after the opening fence
            if ch == "\n":
                self._state = "code"
            return ""
        if self._state == "done":
            return ""
        if ch == "\n":
            started, held = self._started, self._line
            self._started, self._line = False, ""
            if started:
                return "\n"
            if held.strip() == _FENCE:
                self._state = "done"
                return ""
            if held.startswith(_FUTURE):
                return ""
            return (self.indent + held if held.strip() else "") + "\n"
        if self._started:
            return ch
        # A line is held back while it could still be the closing fence, or a
        # ``from __future__`` import (legal only at the top of a module: nested
        # in the stub it would stop the module from compiling until the commit).
        self._line += ch
        if _FENCE.startswith(self._line.strip()) or _FUTURE.startswith(self._line) or self._line.startswith(_FUTURE):
            return ""
        held, self._line, self._started = self._line, "", True
        return self.indent + held


class LiveCode:
    """Where a reply's code goes while it streams: into the stub's region, once the claim is safe.

    The model is asked at once (with optimistic claims, during the verify
    wait), but nothing is written into the shared buffer before the claim is
    verified: until then the reply is held here.  ``point`` says where the
    code goes (and at which indent), or None when the region cannot be found
    right now; the reply is then only committed, not streamed.
    """

    def __init__(
        self,
        workspace: Workspace,
        entry: TodoEntry,
        live: bool,
        *,
        verified: Callable[[], bool],
        wait_verified: Callable[[], Awaitable[None]],
        point: Callable[[TodoEntry], tuple[int, str] | None],
    ) -> None:
        self.workspace = workspace
        self.entry = entry
        self.live = live
        self._verified = verified
        self._wait_verified = wait_verified
        self._point = point
        self.fence: FenceFilter | None = None
        self.held: list[str] = []
        self.writer: StreamWriter | None = None
        self._stack = ExitStack()

    async def __aenter__(self) -> LiveCode:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stack.close()

    def feed(self, chunk: str) -> None:
        if not self.live:
            return
        if self.fence is None:
            self.held.append(chunk)  # raw until the stream point (and so the indent) is known
        else:
            self._write(self.fence.feed(chunk))
        if self.writer is None and self._verified():
            self._open()

    async def flush(self) -> None:
        if not self.live:
            return
        await self._wait_verified()
        if self.writer is None:
            self._open()
        if self.fence is not None:
            self._write(self.fence.flush())

    def _open(self) -> None:
        point = self._point(self.entry)
        if point is None:
            self.live = False
            return
        index, indent = point
        self.fence = FenceFilter(indent)
        self.writer = self._stack.enter_context(self.workspace.stream(self.entry.file, index))
        raw, self.held = "".join(self.held), []
        self._write(self.fence.feed(raw))

    def _write(self, text: str) -> None:
        if text and self.writer is not None and not self.writer.lost:
            self.writer.write(text)
            if self.writer.lost:
                # The run could not be found next to its context (a neighbour's commit changed both sides of a
                # few common characters): the rest is only committed, never written where the text moved.
                self.workspace.log("stream_lost", self.entry.id, attempt=self.entry.attempt)


def reset_to_stub(ws: Workspace, entry: TodoEntry) -> tuple[str, SymbolSpan, bool] | None:
    """Put ``entry.symbol``'s region back to the outline's stub (one transaction).

    Returns the buffer as it is then, the region's span and whether anything
    changed; None when the stub or the region cannot be found right now.  Used
    before streaming a new attempt (never into the old code) and after a failed
    one (never leave a garbled partial reply behind).
    """
    outline = outline_of(ws.meta, entry.file)
    try:
        stub = find_span(outline, entry.symbol)
        stub_text = outline[stub.start : stub.end]
        with ws.transaction():
            source = ws.read(entry.file)
            # Where a commit would write, not the raw scan's span: in a buffer another agent is streaming
            # into, a span may run on over the next definition's decorators.
            region = symbol_region(source, entry.symbol)
            if region is None:
                return None
            changed = source[region[0] : region[1]] != stub_text
            if changed:
                ws.edit(entry.file, region[0], region[1], stub_text)
                source = ws.read(entry.file)
            span = find_span(source, entry.symbol)
    except WorkspaceError:
        return None
    return source, span, changed
