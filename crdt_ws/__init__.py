"""crdt_ws: the shared workspace document, its transports, relay and observation API.

Agents never message each other: each holds a replica of one pycrdt ``Doc``
(``files``, ``todos``, ``events``, ``meta`` + awareness) and watches it.

Errors (all under :class:`WorkspaceError`)::

    WorkspaceError
    ├── SchemaError
    │   └── UnknownTodo
    ├── UnknownFile
    ├── SymbolNotFound
    ├── ProtocolError
    ├── StoreError
    └── TransportError
        ├── AuthError
        ├── RelayUnavailable
        └── NotDurable
"""

from ._errors import (
    AuthError,
    NotDurable,
    ProtocolError,
    StoreError,
    RelayUnavailable,
    SchemaError,
    SymbolNotFound,
    TransportError,
    UnknownFile,
    UnknownTodo,
    WorkspaceError,
)
from ._channel import Role
from ._client import TOKEN_ENV, ConnectionStats, WebsocketConfig, WebsocketConnection, WebsocketTransport
from ._memory import MemoryConnection, MemoryHub
from ._redact import RedactTokens, redact
from ._relay import (
    CLOSE_AUTH,
    CLOSE_BAD_ROOM,
    CLOSE_LIMIT,
    CLOSE_NO_SYNC,
    CLOSE_PROTOCOL,
    CLOSE_ROOM_FAILED,
    MESSAGE_DURABLE,
    ROOM_NAME,
    HttpApp,
    Relay,
    RelayConfig,
    Token,
)
from ._relay_room import Room
from ._transport import Connection, Transport, create_transport, register_transport, transport_names
from ._pyparse import parse_python
from ._observe import Change, EventAppended, FileAdded, FileEdited, MetaChanged, Observer, TodoChanged
from ._schema import Event, Presence, Region, TodoEntry, TodoStatus
from ._symbols import SymbolSpan, find_span, outline
from ._text import StreamAnchor, TextBuffer, minimal_edit
from ._workspace import StreamWriter, Workspace, decode_state_vector
from ._converge import converged

__all__ = [
    "parse_python",
    "CLOSE_AUTH",
    "CLOSE_BAD_ROOM",
    "CLOSE_PROTOCOL",
    "CLOSE_LIMIT",
    "CLOSE_NO_SYNC",
    "CLOSE_ROOM_FAILED",
    "MESSAGE_DURABLE",
    "NotDurable",
    "StoreError",
    "ROOM_NAME",
    "TOKEN_ENV",
    "RedactTokens",
    "Token",
    "redact",
    "Role",
    "ConnectionStats",
    "WebsocketConfig",
    "WebsocketConnection",
    "WebsocketTransport",
    "MemoryConnection",
    "MemoryHub",
    "HttpApp",
    "Relay",
    "RelayConfig",
    "Room",
    "Connection",
    "Transport",
    "create_transport",
    "register_transport",
    "transport_names",
    "AuthError",
    "Change",
    "Event",
    "EventAppended",
    "FileAdded",
    "FileEdited",
    "MetaChanged",
    "Observer",
    "Presence",
    "ProtocolError",
    "Region",
    "RelayUnavailable",
    "SchemaError",
    "StreamAnchor",
    "StreamWriter",
    "SymbolNotFound",
    "SymbolSpan",
    "TextBuffer",
    "TodoChanged",
    "TodoEntry",
    "TodoStatus",
    "TransportError",
    "UnknownFile",
    "UnknownTodo",
    "Workspace",
    "WorkspaceError",
    "converged",
    "decode_state_vector",
    "find_span",
    "minimal_edit",
    "outline",
]
