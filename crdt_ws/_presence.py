"""Presence (Yjs awareness) at the relay: each connection speaks only for itself.

The stock relay applied every awareness entry from every client and relayed
the message as it came, so a read-only client could replace another agent's
presence, add a fake one or delete a victim's with a higher clock, and a
client could park megabytes in everyone's queues.  Here an entry is kept only
if its client id is unowned or already owned by the connection that sends it
(a connection owns at most ``max_ids``, one for a Yjs peer), removals are
accepted only for one's own ids, each state has a byte limit, and what is
forwarded is re-encoded from the accepted entries, never the sender's bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from pycrdt import Decoder, Encoder

from ._errors import ProtocolError

__all__ = ["PresenceTable", "Entry"]


@dataclass
class Entry:
    """One client id's presence: its clock, its state as JSON text ('null' once removed), who owns it."""

    clock: int
    state: str
    owner: int


class PresenceTable:
    """The presence of one room's clients, with ownership by connection."""

    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}
        self.refused = 0

    def live_ids(self) -> list[int]:
        return [cid for cid, e in self.entries.items() if e.state not in ("", "null")]

    def owned_by(self, owner: int) -> list[int]:
        return [cid for cid, e in self.entries.items() if e.owner == owner]

    def apply(self, payload: bytes, owner: int, *, max_ids: int, max_state_bytes: int) -> bytes | None:
        """Apply an awareness update from connection ``owner``; the update to forward, or None.

        Raises :class:`ProtocolError` for an undecodable update.  Entries for
        ids owned by another connection, beyond ``max_ids`` or over
        ``max_state_bytes`` are dropped (counted in :attr:`refused`).
        """
        try:
            decoder = Decoder(payload)
            count = decoder.read_var_uint()
            if count > 1024:
                raise ProtocolError(f"awareness update declares {count} entries")
            raw = [(decoder.read_var_uint(), decoder.read_var_uint(), decoder.read_var_string()) for _ in range(count)]
        except ProtocolError:
            raise
        except Exception as exc:
            raise ProtocolError(f"malformed awareness message: {type(exc).__name__}") from exc
        accepted: list[tuple[int, int, str]] = []
        for client_id, clock, state in raw:
            entry = self.entries.get(client_id)
            mine = entry is not None and entry.owner == owner
            if entry is not None and not mine:
                self.refused += 1  # another connection's presence: not this one's to change
                continue
            if entry is None and len(self.owned_by(owner)) >= max_ids:
                self.refused += 1
                continue
            if len(state.encode()) > max_state_bytes:
                self.refused += 1
                continue
            removal = state in ("", "null")
            if entry is None:
                if removal:
                    continue
                self.entries[client_id] = Entry(clock, state, owner)
            elif clock > entry.clock or (clock == entry.clock and removal and entry.state != "null"):
                entry.clock, entry.state = clock, ("null" if removal else state)
            else:
                continue  # stale: nothing changes
            accepted.append((client_id, clock, "null" if removal else state))
        return _encode(accepted) if accepted else None

    def snapshot(self) -> bytes | None:
        """Every live presence, for a client that just joined."""
        live = [(cid, e.clock, e.state) for cid, e in self.entries.items() if e.state != "null"]
        return _encode(live) if live else None

    def forget(self, owner: int) -> bytes | None:
        """Drop a departed connection's ids; the removal to tell the others, or None."""
        gone = [(cid, self.entries.pop(cid).clock + 1, "null") for cid in self.owned_by(owner)]
        return _encode(gone) if gone else None


def _encode(entries: list[tuple[int, int, str]]) -> bytes:
    encoder = Encoder()
    encoder.write_var_uint(len(entries))
    for client_id, clock, state in entries:
        encoder.write_var_uint(client_id)
        encoder.write_var_uint(clock)
        encoder.write_var_string(state)
    return encoder.to_bytes()
