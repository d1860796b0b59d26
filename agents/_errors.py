"""The one exception root of :mod:`agents`; each component's own tree hangs under it (drawn in ``agents``)."""

from __future__ import annotations

__all__ = ["AgentsError"]


class AgentsError(Exception):
    """Root of every error raised by :mod:`agents` and its components."""
