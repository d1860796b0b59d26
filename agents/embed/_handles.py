"""What a session hands out: a claim handle, a TODO's context, a commit receipt.

:class:`ClaimHandle` is the claim as the caller holds it; the session does the
work (heartbeats, commit, release) and the handle only forwards to it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio

from claim_protocol import Claim
from crdt_ws import TodoEntry, parse_python

from agents.models import ModelRequest

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["ClaimHandle", "Committed", "TodoContext", "code_defines"]

_FENCED = re.compile(r"```[\w+.-]*[^\n]*\n(.*?)(?:```|\Z)", re.S)


@dataclass(frozen=True)
class TodoContext:
    """What our own implementer would show its model for one TODO right now."""

    todo: TodoEntry
    system: str
    """The implementer's system prompt (answer format, what not to touch)."""
    prompt: str
    """Task spec, outline, committed code of the dependencies (and the rest of the file), judge feedback."""
    shown: tuple[str, ...]
    """Symbols whose committed code is in the prompt."""
    missing: tuple[str, ...]
    """Dependencies not implemented yet (the prompt tells the model to rely on their signatures)."""
    request: ModelRequest
    """The same request as a :class:`agents.models.ModelRequest` (for ``agents.models`` providers)."""

    @property
    def text(self) -> str:
        """System prompt and user prompt as one text (for tools that take a single string)."""
        return f"{self.system}\n\n{self.prompt}"


@dataclass(frozen=True)
class Committed:
    """A commit that landed: the TODO is done and its region holds ``code``."""

    todo_id: str
    file: str
    symbol: str
    code: str
    """The symbol's region as it now stands in the buffer (the entry's ``result``)."""


@dataclass
class _Held:
    claim: Claim
    lost: str | None = None


class ClaimHandle:
    """A verified claim; heartbeats keep it alive until :meth:`commit` or :meth:`release`.

    Used as an async context manager, the claim is released on exit unless it
    was committed (or lost), so an exception in the caller's work hands the
    TODO back at once instead of after a lease.
    """

    def __init__(self, session: Session, todo: TodoEntry, held: _Held) -> None:
        self.session = session
        self.todo = todo
        self._held = held

    @property
    def todo_id(self) -> str:
        return self.todo.id

    @property
    def attempt(self) -> int:
        return self._held.claim.attempt

    @property
    def active(self) -> bool:
        """Still held by this session (not committed, released or lost)."""
        return self.session._claims.get(self.todo_id) is self._held and self._held.lost is None

    @property
    def lost(self) -> str | None:
        """Why the claim was lost, if it was."""
        return self._held.lost

    def context(self) -> TodoContext:
        return self.session.context(self.todo_id)

    async def commit(self, code: str) -> Committed:
        return await self.session.commit(self.todo_id, code)

    async def release(self, reason: str = "released") -> None:
        await self.session.release(self.todo_id, reason)

    async def __aenter__(self) -> ClaimHandle:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.session._claims.get(self.todo_id) is self._held:
            reason = "released" if exc is None else f"{type(exc).__name__}: {exc}"
            with anyio.CancelScope(shield=True):
                await self.session.release(self.todo_id, reason[:500])


class _ClaimRequest:
    """``await session.claim(id)`` or ``async with session.claim(id) as claim:``."""

    def __init__(self, session: Session, todo_id: str) -> None:
        self._session = session
        self._todo_id = todo_id
        self._handle: ClaimHandle | None = None

    def __await__(self) -> Any:
        return self._session._claim(self._todo_id).__await__()

    async def __aenter__(self) -> ClaimHandle:
        self._handle = await self._session._claim(self._todo_id)
        return self._handle

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._handle is not None:
            await self._handle.__aexit__(exc_type, exc, tb)


def code_defines(code: str) -> str:
    """What the rejected code does define, to make 'wrong symbol' obvious."""
    names: list[str] = []
    for block in _FENCED.findall(code) or [code]:
        try:
            tree = parse_python(block)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.append(node.name)
            elif isinstance(node, ast.ClassDef):
                names.extend(
                    f"{node.name}.{inner.name}"
                    for inner in node.body
                    if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef))
                )
    return f" (the code defines: {', '.join(names)})" if names else ""
