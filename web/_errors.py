"""Errors of the viewer (tree in the package docstring)."""

from __future__ import annotations

__all__ = ["ViewerError", "AssetsMissing", "HistoryError"]


class ViewerError(Exception):
    """Root of every error the viewer raises."""


class AssetsMissing(ViewerError):
    """The built page (index.html, viewer.js, viewer.css) is not where the config says."""


class HistoryError(ViewerError):
    """A room's stored history could not be read."""
