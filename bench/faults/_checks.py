"""What must hold after a fault: nothing persisted is lost, one definition per stub, every TODO done.

* :func:`read_store` loads the relay's SQLite store (what survived on disk)
  into a fresh ``Doc``.
* :func:`lost_updates` asks whether a later document still contains an
  earlier one.  A CRDT merge is idempotent, so ``after`` contains ``before``
  exactly when merging ``before`` into (a copy of) ``after`` changes nothing;
  whatever does change — an event missing from the log, a file text, a TODO
  entry, a meta key, a client's clock — is reported, by name.  A TODO or a
  text edited later is "superseded", not lost: its later version already
  includes the earlier operations, so the merge leaves it as it is.
* :func:`definition_counts` counts, with ``ast``, how often each stub symbol
  is defined, including a leftover copy of it nested in its own body (what a
  live stream that was never replaced would leave).
"""

from __future__ import annotations

import ast
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from pycrdt import Doc

from crdt_ws import TodoStatus, Workspace, WorkspaceError, decode_state_vector, find_span

from ._errors import StoreReadError
from crdt_ws import parse_python

__all__ = ["read_store", "copy_doc", "lost_updates", "definition_counts", "not_done", "diverged_regions"]


def read_store(path: Path, room: str) -> Doc:
    """The room's document as persisted in ``path`` (a relay store file); empty if the room has none yet."""
    doc: Doc = Doc()
    if not path.exists():
        return doc
    try:
        # A busy timeout: the relay may be writing.
        # Not mode=ro: after a SIGKILL mid-write SQLite must roll back the hot journal first, which needs write access.
        with sqlite3.connect(path, timeout=5.0) as db:
            rows = db.execute("SELECT yupdate FROM yupdates WHERE path = ? ORDER BY timestamp", (room,)).fetchall()
    except sqlite3.Error as exc:
        raise StoreReadError(f"cannot read the relay store {path}: {exc}") from exc
    try:
        for (update,) in rows:
            doc.apply_update(update)
    except Exception as exc:  # pycrdt raises plain ValueErrors / panics on corrupt updates
        raise StoreReadError(f"the relay store {path} holds an update that does not apply: {exc!r}") from exc
    return doc


def copy_doc(doc: Doc) -> Doc:
    """An independent copy of ``doc`` (a snapshot that later edits do not touch)."""
    out: Doc = Doc()
    out.apply_update(doc.get_update())
    return out


def _view(doc: Doc) -> dict[str, Any]:
    return Workspace("fault-check", doc).snapshot()


def _event_key(event: Any) -> str:
    return json.dumps(event, sort_keys=True, default=str)


def lost_updates(before: Doc, after: Doc) -> list[str]:
    """What of ``before`` is missing from ``after`` (empty: nothing lost)."""
    merged = copy_doc(after)
    merged.apply_update(before.get_update())
    was, now = _view(after), _view(merged)
    lost: list[str] = []
    missing = Counter(map(_event_key, now["events"])) - Counter(map(_event_key, was["events"]))
    for key, count in missing.items():
        event = json.loads(key)
        lost.extend([f"event {event.get('type')} by {event.get('agent')} on {event.get('todo')}"] * count)
    for part in ("files", "todos", "meta"):
        for key in sorted(set(was[part]) | set(now[part])):
            if was[part].get(key) != now[part].get(key):
                lost.append(f"{part}[{key!r}] lacks edits of the earlier document")
    if not lost:
        behind = _clocks_behind(after, merged)
        lost.extend(f"client {client}: clock {have} < {need}" for client, (have, need) in behind.items())
    return lost


def _clocks_behind(after: Doc, merged: Doc) -> dict[int, tuple[int, int]]:
    have = decode_state_vector(after.get_state())
    need = decode_state_vector(merged.get_state())
    return {c: (have.get(c, 0), n) for c, n in need.items() if have.get(c, 0) < n}


def definition_counts(source: str, symbols: list[str]) -> dict[str, int]:
    """How many definitions of each qualified name in ``symbols`` the module has (-1: it does not parse)."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return {symbol: -1 for symbol in symbols}
    found: Counter[str] = Counter()

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + node.name
                found[name] += 1
                # A copy of itself nested in its own body: a live stream that was never replaced.
                found[name] += sum(
                    1
                    for inner in ast.walk(node)
                    if inner is not node and isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)) and inner.name == node.name
                )
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    return {symbol: found[symbol] for symbol in symbols}


def not_done(workspace: Workspace) -> dict[str, str]:
    """TODOs that did not end ``done``, each with its status and the last reason recorded in the events."""
    reasons: dict[str, str] = {}
    for event in workspace.read_events():
        if event.todo is not None and event.type in ("give_up", "release", "out_of_budget", "repair_failed"):
            reasons[event.todo] = f"{event.type}: {event.data.get('reason') or event.data.get('error') or event.data}"
    return {
        t.id: f"{t.status.value} ({reasons.get(t.id, 'no reason recorded')})"
        for t in workspace.list_todos()
        if t.status != TodoStatus.DONE
    }


def diverged_regions(workspace: Workspace) -> list[str]:
    """Done TODOs whose region in the buffer is not their recorded ``result`` (what the judge passed)."""
    out: list[str] = []
    for todo in workspace.list_todos():
        if todo.status != TodoStatus.DONE or todo.result is None:
            continue
        try:
            source = workspace.read(todo.file)
            span = find_span(source, todo.symbol)
        except WorkspaceError:
            out.append(todo.id)
            continue
        if source[span.start : span.end].strip() != todo.result.strip():
            out.append(todo.id)
    return out
