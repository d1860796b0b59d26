"""crdt_ws: the shared workspace document, its transports, relay and observation API.

Agents never message each other: each holds a replica of one pycrdt ``Doc``
(``files``, ``todos``, ``events``, ``meta`` + awareness) and watches it.

It also holds the source toolkit every package reads Python with: the parse
lock (:func:`parse_python`, :func:`parse_cst`, :func:`compiles`), symbol spans
and the one ``def``/``class`` line scanner (:func:`outline`, :func:`outline_parsed`, :func:`find_span`,
:func:`def_header`, :func:`next_definition`), and stub finding
(:func:`find_stubs`, :func:`is_stub_def`), and TODO ids across files
(:func:`todo_key`, :func:`split_todo_key`: ``"<path>::<symbol>"``; a name
defined twice in one module is ``Cls.x#2``: :func:`numbered`, :func:`split_occurrence`).

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
from ._client import WebsocketConnection, WebsocketTransport
from ._client_config import ConnectionStats, WebsocketConfig
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
from ._transport import Connection, Transport
from ._pyparse import check_compiles, compiles, parse_cst, parse_cst_statement, parse_python, quiet, statement_span, symbol_table
from ._ids import numbered, split_occurrence, split_todo_key, todo_key
from ._stubs import find_stubs, is_stub_def
from ._observe import Change, EventAppended, FileAdded, FileEdited, MetaChanged, Observer, TodoChanged
from ._schema import Event, Presence, Region, TodoEntry, TodoStatus
from ._def_lines import def_header, defines, find_def_line, next_definition
from ._symbols import SymbolSpan, definition_role, find_span, outline, outline_parsed, symbols_at
from ._text import TextBuffer, minimal_edit
from ._workspace import StreamWriter, Workspace, decode_state_vector
from ._converge import converged

__all__ = [
    "parse_python",
    "parse_cst",
    "statement_span",
    "parse_cst_statement",
    "check_compiles",
    "compiles",
    "quiet",
    "symbol_table",
    "find_stubs",
    "split_todo_key",
    "todo_key",
    "numbered",
    "split_occurrence",
    "definition_role",
    "is_stub_def",
    "def_header",
    "defines",
    "find_def_line",
    "outline_parsed",
    "next_definition",
    "NotDurable",
    "ROOM_NAME",
    "Token",
    "WebsocketConfig",
    "WebsocketConnection",
    "WebsocketTransport",
    "MemoryHub",
    "Relay",
    "RelayConfig",
    "Room",
    "AuthError",
    "Change",
    "Event",
    "EventAppended",
    "FileAdded",
    "FileEdited",
    "MetaChanged",
    "Presence",
    "Region",
    "StreamWriter",
    "SymbolNotFound",
    "SymbolSpan",
    "TodoChanged",
    "TodoEntry",
    "TodoStatus",
    "TransportError",
    "Workspace",
    "WorkspaceError",
    "converged",
    "decode_state_vector",
    "find_span",
    "outline",
]
