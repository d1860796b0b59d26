"""A room's stored history, read from the relay's SQLite store for replay.

The relay persists every update it receives (merged per burst) with a
timestamp in ``<store_dir>/<room>.sqlite`` (pycrdt-store's ``yupdates``
table).  pycrdt-store also writes a checkpoint (the whole doc) every 100
updates into ``ycheckpoints``, but it never deletes update rows unless a
squash policy is configured, and the relay configures none: so the raw rows
are the whole history, from the first update, and replay reads only them.  The store is opened *read-only* here: starting a second
``SQLiteYStore`` on the file would run its schema checks, which may rewrite or
move the file, and replay must never change what it replays.
"""

from __future__ import annotations

import base64
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import anyio
from pycrdt import merge_updates

from ._errors import HistoryError

__all__ = ["HistoryEntry", "read_history", "bucket", "encode_history"]


@dataclass(frozen=True)
class HistoryEntry:
    """One stored update and when the relay stored it (Unix seconds)."""

    time: float
    update: bytes


def _read(path: Path, room: str) -> list[HistoryEntry]:
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot open the store of room {room!r}: {exc}") from exc
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "yupdates" not in tables:
            raise HistoryError(f"the store of room {room!r} has no update table (not a relay store?)")
        # Every raw update row, in the order the relay wrote them (rowid).  The store's
        # checkpoint table only speeds up loading: reading from it would start the
        # replay at the last checkpoint and hide everything before it.
        rows = db.execute("SELECT yupdate, timestamp FROM yupdates WHERE path = ? ORDER BY rowid", (room,))
        entries = [HistoryEntry(float(ts), bytes(update)) for update, ts in rows if update is not None]
        return entries
    except sqlite3.Error as exc:
        raise HistoryError(f"cannot read the store of room {room!r}: {exc}") from exc
    finally:
        db.close()


async def read_history(path: Path, room: str) -> list[HistoryEntry]:
    """Every stored update of ``room`` in ``path``, oldest first (in a worker thread)."""
    return await anyio.to_thread.run_sync(_read, path, room)


def bucket(entries: list[HistoryEntry], limit: int) -> list[HistoryEntry]:
    """At most ``limit`` entries: consecutive updates merged into groups (timestamp of each group's last)."""
    if len(entries) <= limit:
        return entries
    out: list[HistoryEntry] = []
    size = -(-len(entries) // limit)  # ceil
    for i in range(0, len(entries), size):
        group = entries[i : i + size]
        merged = merge_updates(*(e.update for e in group)) if len(group) > 1 else group[0].update
        out.append(HistoryEntry(group[-1].time, merged))
    return out


def encode_history(room: str, entries: list[HistoryEntry], total: int) -> dict[str, object]:
    """The JSON body of the history endpoint."""
    return {
        "room": room,
        "stored_updates": total,
        "updates": [{"time": e.time, "update": base64.b64encode(e.update).decode("ascii")} for e in entries],
    }
