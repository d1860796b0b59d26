"""Waiting until replicas hold the same document: the one place this is written."""

from __future__ import annotations

from collections.abc import Sequence

import anyio

from ._workspace import Workspace

__all__ = ["converged"]

_POLL_S = 0.01


async def converged(workspaces: Sequence[Workspace], timeout: float = 10.0) -> bool:
    """Wait until every replica's :meth:`~Workspace.content_hash` is equal; False if ``timeout`` passed first.

    Polled rather than observed: remote updates, awareness and local writes all
    change the hash, and a poll every 10 ms costs nothing beside a run.
    """
    with anyio.move_on_after(timeout):
        while len({ws.content_hash() for ws in workspaces}) > 1:
            await anyio.sleep(_POLL_S)
        return True
    return False
