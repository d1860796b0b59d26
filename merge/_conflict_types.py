"""The structural conflict record shared by splicing and the reconciler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Conflict", "ConflictKind"]

ConflictKind = Literal[
    "duplicate_definition",
    "conflicting_import",
    "signature_change",
    "name_clash",
    "import_skipped",
]


@dataclass(frozen=True)
class Conflict:
    """One structural conflict: what kind, which (qualified) name, and a human-readable detail."""

    kind: ConflictKind
    name: str
    detail: str
    lines: tuple[int, ...] = ()
    """1-based line numbers of the definitions involved, when known."""
