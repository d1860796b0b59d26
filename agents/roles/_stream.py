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

__all__ = ["FenceFilter"]

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
