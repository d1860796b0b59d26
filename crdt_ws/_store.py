"""A room's SQLite store: every update appended, errors raised instead of logged and swallowed.

pycrdt-store's ``SQLiteYStore`` 0.1.5 logs "SQLite exception" and carries on
when a write fails (a corrupt file, a full disk), so the relay used to accept
and broadcast updates it never kept.  This store keeps the same file layout
(table ``yupdates(path, yupdate, metadata, timestamp)``, ``ycheckpoints``,
``user_version`` 2), so stores written by either load in the other and
``web``'s replay reads the full history, but every failure raises
:class:`StoreError`, and the file is created only when the first update is
written: opening a room nobody writes to leaves nothing on disk.

Durability: each batch is one committed transaction in WAL mode, which
survives the relay process being killed (``kill -9``); ``synchronous=NORMAL``
trades the last commits on power loss for throughput, which is why the relay
promises survival of a process crash, not of the machine.  Files are 0600.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import anyio
import anyio.to_thread

from ._errors import StoreError

__all__ = ["RoomStore"]

_VERSION = 2  # pycrdt-store's schema version: keeps files interchangeable


class RoomStore:
    """Append-only update log of one room in ``<store_dir>/<room>.sqlite``."""

    def __init__(self, path: Path, room: str) -> None:
        self.path = path
        self.room = room
        self._db: sqlite3.Connection | None = None
        self._lock = anyio.Lock()  # one statement at a time on the connection

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    async def load(self) -> list[bytes]:
        """Every stored update of this room, oldest first ([] when the file does not exist yet).

        Checks the file's integrity first: a corrupt store raises instead of
        being served as an empty or partial room.
        """
        if not self.exists:
            return []
        async with self._lock:
            # Abandoned on cancel (relay shutdown): a stalled disk must not hold the process.
            return await anyio.to_thread.run_sync(self._load_sync, abandon_on_cancel=True)

    async def append(self, update: bytes, checkpoint: bytes | None = None) -> None:
        """Commit one update (one transaction); raises :class:`StoreError` if it is not on disk.

        ``checkpoint``, if given, is the whole document including ``update``,
        stored in ``ycheckpoints`` in the same transaction (pycrdt-store loads
        from it; every row stays, so the full history remains for replay).
        """
        async with self._lock:
            await anyio.to_thread.run_sync(self._append_sync, update, checkpoint, abandon_on_cancel=True)

    async def close(self) -> None:
        async with self._lock:
            db, self._db = self._db, None
            if db is not None:
                await anyio.to_thread.run_sync(db.close)

    # -- in the worker thread -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            if not self.path.exists():
                self._create()
            os.chmod(self.path, 0o600)  # also an older store written 0644
            db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if "yupdates" not in tables:  # an empty file someone else created
                    _schema(db)
            except BaseException:
                db.close()
                raise
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"store of room {self.room!r} cannot be opened: {_describe(exc)}", _kind(exc, "cannot be opened")) from exc
        self._db = db
        return db

    def _create(self) -> None:
        """Write the schema to a private temp file and rename it in: readers never see half a store."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        os.close(os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600))
        try:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                _schema(db)
            finally:
                db.close()
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def _load_sync(self) -> list[bytes]:
        db = self._connect()
        try:
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise StoreError(f"store of room {self.room!r} is corrupt ({check[0] if check else 'no answer'})", "corrupt")
            rows = db.execute("SELECT yupdate FROM yupdates WHERE path = ? ORDER BY timestamp, rowid", (self.room,)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store of room {self.room!r} cannot be read: {_describe(exc)}", _kind(exc, "cannot be opened")) from exc
        # Checkpoints (written by pycrdt-store) only summarise these rows: the rows alone are the whole history.
        return [bytes(row[0]) for row in rows if row[0] is not None]

    def _append_sync(self, update: bytes, checkpoint: bytes | None) -> None:
        db = self._connect()
        now = time.time()
        try:
            if checkpoint is None:
                db.execute("INSERT INTO yupdates VALUES (?, ?, ?, ?)", (self.room, update, b"", now))
                return
            with db:  # one transaction: the checkpoint never covers a row that is not there
                db.execute("BEGIN")
                db.execute("INSERT INTO yupdates VALUES (?, ?, ?, ?)", (self.room, update, b"", now))
                db.execute("INSERT OR REPLACE INTO ycheckpoints (path, checkpoint, timestamp) VALUES (?, ?, ?)", (self.room, checkpoint, now))
        except sqlite3.Error as exc:
            raise StoreError(f"store of room {self.room!r} refused a write: {_describe(exc)}", _kind(exc, "write failed")) from exc


def _schema(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS yupdates (path TEXT NOT NULL, yupdate BLOB, metadata BLOB, timestamp REAL NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS idx_yupdates_path_timestamp ON yupdates (path, timestamp)")
    db.execute("CREATE TABLE IF NOT EXISTS ycheckpoints (path TEXT NOT NULL, checkpoint BLOB NOT NULL, timestamp REAL NOT NULL, PRIMARY KEY(path))")
    db.execute(f"PRAGMA user_version = {_VERSION}")


def _kind(exc: BaseException, default: str) -> str:
    text = str(exc).lower()
    return "corrupt" if "not a database" in text or "malformed" in text else default


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
