"""Observation API: other replicas' changes to a workspace, as typed records.

Agents coordinate by watching the document, not by messaging each other.  An
:class:`Observer` subscribes to the four roots and turns pycrdt's deep events
into :data:`Change` records.  Changes whose transaction origin is the
observing agent's own id are dropped *inside* the callback, because pycrdt
events lose their transaction once the callback returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pycrdt import ArrayEvent, MapEvent, Subscription, TextEvent

from ._schema import Event
from ._symbols import outline, symbols_at
from ._text import to_chars

if TYPE_CHECKING:
    from ._workspace import Workspace

__all__ = ["Change", "FileAdded", "FileEdited", "TodoChanged", "EventAppended", "MetaChanged", "Observer"]


@dataclass(frozen=True, slots=True)
class FileAdded:
    path: str
    origin: Any = None


@dataclass(frozen=True, slots=True)
class FileEdited:
    """A remote edit to a buffer, with the innermost symbols it touched."""

    path: str
    symbols: frozenset[str]
    inserted: int  # characters
    deleted: int  # bytes, as reported by pycrdt (the text is already gone)
    origin: Any = None


@dataclass(frozen=True, slots=True)
class TodoChanged:
    todo_id: str
    keys: frozenset[str]
    origin: Any = None


@dataclass(frozen=True, slots=True)
class EventAppended:
    event: Event
    origin: Any = None


@dataclass(frozen=True, slots=True)
class MetaChanged:
    keys: frozenset[str]
    origin: Any = None


Change = FileAdded | FileEdited | TodoChanged | EventAppended | MetaChanged


@dataclass
class Observer:
    """Async iterator of other replicas' changes; use as ``async with ws.observe() as changes``.

    Nothing is dropped: the buffer is unbounded, because a slow observer must
    still see every change (the document itself is the backpressure bound).
    """

    workspace: Workspace
    include_own: bool = False
    _send: MemoryObjectSendStream[Change] = field(init=False)
    _receive: MemoryObjectReceiveStream[Change] = field(init=False)
    _subs: list[tuple[Any, Subscription]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._send, self._receive = anyio.create_memory_object_stream[Change](math.inf)

    async def __aenter__(self) -> Observer:
        ws = self.workspace
        self._subs = [
            (ws.files, ws.files.observe_deep(self._on_files)),
            (ws.todos, ws.todos.observe_deep(self._on_todos)),
            (ws.events, ws.events.observe(self._on_events)),
            (ws.meta, ws.meta.observe(self._on_meta)),
        ]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for root, sub in self._subs:
            root.unobserve(sub)
        self._subs.clear()
        self._send.close()
        self._receive.close()

    def __aiter__(self) -> Observer:
        return self

    async def __anext__(self) -> Change:
        try:
            return await self._receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    def drain(self) -> list[Change]:
        """Everything already observed, without waiting."""
        out: list[Change] = []
        while True:
            try:
                out.append(self._receive.receive_nowait())
            except anyio.WouldBlock:
                return out

    # -- callbacks: run inside the transaction, so the origin is still readable --

    def _own(self, origin: Any) -> bool:
        return not self.include_own and origin == self.workspace.agent_id

    def _emit(self, change: Change) -> None:
        try:
            self._send.send_nowait(change)
        except anyio.ClosedResourceError:
            pass  # observer closed while a transaction was still committing

    def _on_files(self, events: list[Any]) -> None:
        for event in events:
            origin = event.transaction.origin
            if self._own(origin):
                continue
            if isinstance(event, MapEvent) and not event.path:
                for key, change in event.keys.items():
                    if change.get("action") in ("add", "update"):
                        self._emit(FileAdded(str(key), origin))
            elif isinstance(event, TextEvent) and event.path:
                self._emit(_file_edit(str(event.path[0]), event, origin))

    def _on_todos(self, events: list[Any]) -> None:
        for event in events:
            origin = event.transaction.origin
            if self._own(origin) or not isinstance(event, MapEvent):
                continue
            if not event.path:  # whole entries added, replaced or removed
                for key in event.keys:
                    self._emit(TodoChanged(str(key), frozenset({"*"}), origin))
            else:
                self._emit(TodoChanged(str(event.path[0]), frozenset(map(str, event.keys)), origin))

    def _on_events(self, event: ArrayEvent) -> None:
        origin = event.transaction.origin
        if self._own(origin):
            return
        for op in event.delta:
            for value in op.get("insert", []) if isinstance(op, dict) else []:
                try:
                    self._emit(EventAppended(Event.model_validate(value), origin))
                except ValueError:
                    continue  # a malformed log entry is reported by Workspace.read_events

    def _on_meta(self, event: MapEvent) -> None:
        origin = event.transaction.origin
        if not self._own(origin):
            self._emit(MetaChanged(frozenset(map(str, event.keys)), origin))


def _file_edit(path: str, event: TextEvent, origin: Any) -> FileEdited:
    source = str(event.target)
    positions: list[int] = []
    inserted = deleted = 0
    offset = 0  # byte offset in the new text
    for op in event.delta:
        if "retain" in op:
            offset += int(op["retain"])
        elif "insert" in op:
            chunk = str(op["insert"])
            start = to_chars(source, offset)
            positions.extend((start, start + max(len(chunk) - 1, 0)))
            inserted += len(chunk)
            offset += len(chunk.encode("utf-8"))
        elif "delete" in op:
            positions.append(to_chars(source, offset))
            deleted += int(op["delete"])
    symbols = symbols_at(outline(source), positions) if positions else set()
    return FileEdited(path, frozenset(symbols), inserted, deleted, origin)
