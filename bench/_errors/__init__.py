"""The one exception root of :mod:`bench` (a leaf package of its own, so bench's subpackages can import it without a cycle through ``bench``)."""

from __future__ import annotations

__all__ = ["BenchError"]


class BenchError(Exception):
    """Root of every error raised by :mod:`bench` (suites, runs, faults, reports, micro-benchmarks)."""
