"""The shared workspace: one pycrdt ``Doc`` holding files, TODOs, events and meta.

Every write happens in a transaction whose origin is the agent's id, which is
how an observer tells its own changes from other replicas' (remote updates are
applied by the transports with their own origin).  Region edits locate the
symbol's span *inside* the transaction, against the text as it is now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pycrdt import Array, Awareness, Decoder, Doc, Map, Text, Transaction

from ._errors import SchemaError, UnknownFile, UnknownTodo, WorkspaceError
from ._observe import Observer
from ._schema import Event, Presence, Region, TodoEntry, TodoStatus, parse_model
from ._symbols import SymbolSpan
from ._text import StreamAnchor, TextBuffer

__all__ = ["Workspace", "decode_state_vector"]


class Workspace:
    """One replica of a workspace, owned by one agent.

    >>> ws = Workspace("outliner")
    >>> ws.create_file("stack.py", "class Stack:\\n    def push(self, x):\\n        pass\\n")
    >>> _ = ws.replace_symbol("stack.py", "Stack.push", "    def push(self, x):\\n        self.items.append(x)\\n")
    >>> "append" in ws.read("stack.py")
    True
    """

    def __init__(self, agent_id: str, doc: Doc | None = None) -> None:
        if not agent_id:
            raise ValueError("agent_id must be a non-empty string")
        self.agent_id = agent_id
        self.doc = doc if doc is not None else Doc()
        self.files: Map[Text] = self.doc.get("files", type=Map)
        self.todos: Map[Map[Any]] = self.doc.get("todos", type=Map)
        self.events: Array[Any] = self.doc.get("events", type=Array)
        self.meta: Map[Any] = self.doc.get("meta", type=Map)
        self.awareness = Awareness(self.doc)

    def transaction(self) -> Transaction:
        """A write transaction tagged with this agent's id (nests inside an open one)."""
        return self.doc.transaction(origin=self.agent_id)

    # -- files --------------------------------------------------------------

    def create_file(self, path: str, source: str = "") -> None:
        """Add a buffer; an existing buffer at ``path`` is replaced."""
        with self.transaction():
            self.files[path] = Text(source)

    def paths(self) -> list[str]:
        return sorted(self.files.keys())

    def text(self, path: str) -> Text:
        try:
            return self.files[path]
        except KeyError:
            raise UnknownFile(path) from None

    def buffer(self, path: str) -> TextBuffer:
        return TextBuffer(self.text(path))

    def read(self, path: str) -> str:
        return str(self.text(path))

    def replace_symbol(self, path: str, qualname: str, block: str) -> SymbolSpan:
        """Replace the current region of ``qualname`` with ``block`` (minimal edit)."""
        with self.transaction():
            return self.buffer(path).replace_symbol(qualname, block)

    def edit(self, path: str, start: int, end: int, new: str) -> None:
        """Replace characters ``[start, end)`` of a buffer."""
        with self.transaction():
            self.buffer(path).replace(start, end, new)

    @contextmanager
    def stream(self, path: str, index: int) -> Iterator[StreamWriter]:
        """Stream chunks into ``path`` at ``index``, each chunk its own transaction.

        Every chunk reaches other replicas as soon as it is written, which is
        what lets a person watch a model type.
        """
        with self.transaction():
            anchor = self.buffer(path).anchor(index)
        yield StreamWriter(self, anchor)

    # -- todos --------------------------------------------------------------

    def add_todo(self, entry: TodoEntry) -> None:
        with self.transaction():
            self.todos[entry.id] = Map(entry.to_doc())

    def todo(self, todo_id: str) -> TodoEntry:
        try:
            entry = self.todos[todo_id]
        except KeyError:
            raise UnknownTodo(todo_id) from None
        return parse_model(TodoEntry, entry.to_py(), f"TODO {todo_id!r}")

    def todos_raw(self) -> dict[str, Any]:
        """The whole TODO map as plain values, in one conversion.

        ``str(Map)`` is JSON rendered by yrs: about 10x faster than ``Map.to_py``
        for a board of entries, and ints stay ints.
        """
        return json.loads(str(self.todos)) if len(self.todos) else {}

    def list_todos(self) -> list[TodoEntry]:
        raw = self.todos_raw()
        return [parse_model(TodoEntry, raw[key], f"TODO {key!r}") for key in sorted(raw)]

    def update_todo(self, todo_id: str, **changes: Any) -> TodoEntry:
        """Set fields of one TODO in one transaction; returns the entry as now seen locally."""
        with self.transaction():
            try:
                entry = self.todos[todo_id]
            except KeyError:
                raise UnknownTodo(todo_id) from None
            # Validate the merged entry first so a bad value never half-applies.
            merged = parse_model(TodoEntry, {**(entry.to_py() or {}), **changes}, f"update of TODO {todo_id!r}")
            values = merged.to_doc()
            for key in TodoEntry.doc_keys(changes):
                entry[key] = values[key]
        return self.todo(todo_id)

    def todos_with(self, status: TodoStatus) -> list[TodoEntry]:
        return [t for t in self.list_todos() if t.status == status]

    # -- events and meta ----------------------------------------------------

    def log(self, type: str, todo: str | None = None, **data: Any) -> Event:
        event = Event(agent=self.agent_id, type=type, todo=todo, data=data)
        with self.transaction():
            self.events.append(event.model_dump(mode="json"))
        return event

    def read_events(self) -> list[Event]:
        return [parse_model(Event, value, f"event #{i}") for i, value in enumerate(self.events.to_py() or [])]

    def set_meta(self, **values: Any) -> None:
        with self.transaction():
            for key, value in values.items():
                self.meta[key] = value

    def get_meta(self) -> dict[str, Any]:
        return dict(self.meta.to_py() or {})

    # -- presence -----------------------------------------------------------

    def region(self, path: str, symbol: str) -> Region:
        """Where ``symbol`` now stands in ``path``, for presence (no span while the buffer hides it mid-edit)."""
        try:
            span = self.buffer(path).span(symbol)
        except WorkspaceError:  # presence is cosmetic: a buffer mid-edit must not stop work
            return Region(file=path, symbol=symbol)
        return Region(file=path, symbol=symbol, start=span.start, end=span.end)

    def set_presence(self, presence: Presence) -> None:
        if presence.agent != self.agent_id:
            raise SchemaError(f"presence for {presence.agent!r} set by {self.agent_id!r}")
        self.awareness.set_local_state(presence.model_dump(mode="json"))

    def presences(self) -> dict[int, Presence]:
        """Presence of every replica known through awareness, by Yjs client id."""
        out: dict[int, Presence] = {}
        for client_id, state in self.awareness.states.items():
            try:
                out[client_id] = Presence.model_validate(state)
            except ValueError:
                continue  # a peer that is not an agent (e.g. a bare Yjs client)
        return out

    # -- observation and identity --------------------------------------------

    def observe(self, *, include_own: bool = False) -> Observer:
        """Other replicas' changes: ``async with ws.observe() as changes: async for c in changes``."""
        return Observer(self, include_own=include_own)

    def snapshot(self) -> dict[str, Any]:
        """Plain-value copy of the whole document (files as strings)."""
        return {
            "files": {path: str(text) for path, text in self.files.items()},
            "todos": self.todos.to_py() or {},
            "events": self.events.to_py() or [],
            "meta": self.meta.to_py() or {},
        }

    def content_hash(self) -> str:
        """Hash of the document's content; equal on replicas that converged."""
        blob = json.dumps(self.snapshot(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def state_vector(self) -> dict[int, int]:
        return decode_state_vector(self.doc.get_state())


class StreamWriter:
    """Writes a model's streamed reply into a buffer chunk by chunk (see ``Workspace.stream``)."""

    def __init__(self, workspace: Workspace, anchor: StreamAnchor) -> None:
        self._workspace = workspace
        self._anchor = anchor
        self.written = 0

    @property
    def index(self) -> int:
        return self._anchor.index

    @property
    def lost(self) -> bool:
        """The stream could not find its run any more and writes nothing (see ``StreamAnchor``)."""
        return self._anchor.lost

    def write(self, chunk: str) -> None:
        with self._workspace.transaction():
            self._anchor.write(chunk)
        self.written += len(chunk)


def decode_state_vector(state: bytes) -> dict[int, int]:
    """Decode a Yjs state vector (varuint count, then client/clock pairs)."""
    decoder = Decoder(state)
    count = decoder.read_var_uint()
    return {decoder.read_var_uint(): decoder.read_var_uint() for _ in range(count)}
