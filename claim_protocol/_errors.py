"""Exceptions of the claim protocol.

    ClaimError
    ├── NotClaimable   the TODO is held by a live agent, done, failed or unknown
    ├── NotHolder      this agent no longer holds the claim it acts on (lost, preempted)
    └── CommitFailed   the code could not be merged into the buffer (the TODO is handed back)

Workspace errors (``crdt_ws.WorkspaceError``) raised while reading an entry are
translated into these at the board, so callers handle one tree.
"""

from __future__ import annotations

__all__ = ["ClaimError", "CommitFailed", "NotClaimable", "NotHolder"]


class ClaimError(Exception):
    """Root of every error raised by :mod:`claim_protocol`."""


class NotClaimable(ClaimError):
    """The TODO cannot be claimed now (held by a live agent, finished, or unknown)."""


class NotHolder(ClaimError):
    """The agent acted on a claim it does not (or no longer) hold."""


class CommitFailed(ClaimError):
    """The work's code could not be merged into the shared buffer; nothing was written."""
