"""The one exception root of :mod:`bench`; each area's own tree hangs under it (drawn in ``bench``)."""

from __future__ import annotations

__all__ = ["BenchError"]


class BenchError(Exception):
    """Root of every error raised by :mod:`bench` (suites, runs, faults, reports, micro-benchmarks)."""
