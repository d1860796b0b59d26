"""Errors of the fault-injection harness (tree in the package docstring)."""

from __future__ import annotations

from bench._errors import BenchError

__all__ = ["FaultError", "ProcessStartError", "StoreReadError"]


class FaultError(BenchError):
    """Root of every error the fault-injection harness raises."""


class ProcessStartError(FaultError):
    """A relay or implementer subprocess did not start (or did not report its address) in time."""


class StoreReadError(FaultError):
    """The relay's SQLite store could not be read back into a document."""
