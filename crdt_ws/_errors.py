"""Exceptions of the shared workspace.

    WorkspaceError
    ├── SchemaError          a TODO/event entry that does not fit the document schema
    │   └── UnknownTodo      no TODO with that id
    ├── UnknownFile          no file buffer with that path
    ├── SymbolNotFound       no class/function with that qualified name in a buffer
    ├── ProtocolError        a malformed or oversized sync/awareness message
    ├── StoreError           a relay room's store cannot be opened, read or written
    └── TransportError       a replica could not reach its peers
        ├── AuthError        the relay refused the token (or a read-only token tried to write)
        ├── RelayUnavailable the relay could not be reached within the deadline
        └── NotDurable       the relay did not acknowledge an update as durable (in time, or at all)

pycrdt and websocket errors are translated into these at the transport
boundary (``raise ... from``); nothing else in the package raises them raw.
"""

from __future__ import annotations

__all__ = [
    "WorkspaceError",
    "SchemaError",
    "UnknownTodo",
    "UnknownFile",
    "SymbolNotFound",
    "ProtocolError",
    "TransportError",
    "AuthError",
    "RelayUnavailable",
    "StoreError",
    "NotDurable",
]


class WorkspaceError(Exception):
    """Root of every error raised by :mod:`crdt_ws`."""


class SchemaError(WorkspaceError):
    """A document entry does not match the schema in DESIGN.md."""


class UnknownTodo(SchemaError, KeyError):
    """No TODO with the given id exists in the document."""

    def __str__(self) -> str:
        return f"no TODO {self.args[0]!r} in the workspace"


class UnknownFile(WorkspaceError, KeyError):
    """No file buffer with the given path exists in the document."""

    def __str__(self) -> str:
        return f"no file {self.args[0]!r} in the workspace"


class SymbolNotFound(WorkspaceError, LookupError):
    """A qualified name (``Class.method``) has no definition in the buffer."""

    def __str__(self) -> str:
        return f"no definition of {self.args[0]!r} in the buffer"


class ProtocolError(WorkspaceError):
    """A Yjs sync/awareness message that cannot be decoded or is over the size limit."""


class TransportError(WorkspaceError):
    """A replica could not exchange updates with its peers."""


class AuthError(TransportError):
    """The relay rejected the token, or a read-only client tried to change the document."""


class RelayUnavailable(TransportError):
    """The relay could not be reached (or stayed unreachable past the deadline)."""


class StoreError(WorkspaceError):
    """A relay room's store cannot be opened, read or written (sqlite and OS errors translated here).

    ``kind`` is the short, fixed phrase the relay puts in its close reason:
    ``"corrupt"``, ``"cannot be opened"`` or ``"write failed"``.
    """

    def __init__(self, message: str, kind: str = "cannot be opened") -> None:
        super().__init__(message)
        self.kind = kind


class NotDurable(TransportError):
    """The relay did not acknowledge local updates as durable within the deadline, or keeps no store."""
