"""Exceptions of the embedding API (tree drawn in :mod:`agents.embed`).

Errors from ``crdt_ws``, ``claim_protocol`` and ``merge`` are translated into
these at the session boundary (``raise ... from``), so a caller handles one tree.
"""

from __future__ import annotations

from agents._errors import AgentsError

__all__ = [
    "EmbedError",
    "ConnectFailed",
    "ReadOnlySession",
    "TodoNotFound",
    "NoPlan",
    "ClaimFailed",
    "NotClaimable",
    "ClaimLost",
    "NotHolding",
    "CodeRejected",
]


class EmbedError(AgentsError):
    """Root of every error raised by :mod:`agents.embed`."""


class ConnectFailed(EmbedError):
    """The relay could not be reached, refused the token, or rejected the room name."""


class ReadOnlySession(EmbedError):
    """A write (claim, commit, release) on a session that may only read.

    Either the session was opened with ``role="observer"`` or the relay
    silently dropped its writes (a read-only token).
    """


class TodoNotFound(EmbedError, KeyError):
    """No TODO with that id in the workspace."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown TODO"


class NoPlan(EmbedError):
    """The room has no outline/plan yet (no outliner has published one)."""


class ClaimFailed(EmbedError):
    """A claim could not be made or kept."""


class NotClaimable(ClaimFailed):
    """The TODO is held by a live agent, done, failed (out of attempts) or its entry is malformed."""


class ClaimLost(ClaimFailed):
    """Another agent won the claim at verify, or took it over later (e.g. after a missed lease)."""


class NotHolding(ClaimFailed):
    """Commit or release of a TODO this session never claimed (or already committed/released)."""


class CodeRejected(EmbedError, ValueError):
    """The code does not parse, or defines no implementation of the TODO's symbol.

    Nothing was written: the buffer is unchanged and the claim is still held,
    so the caller may fix the code and commit again.
    """
