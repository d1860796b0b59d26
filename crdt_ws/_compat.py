"""Small shims over pycrdt details its type stubs do not describe."""

from __future__ import annotations

from typing import Any

from pycrdt import TransactionEvent

__all__ = ["origin_key"]


def origin_key(event: TransactionEvent) -> Any:
    """The origin of a ``Doc.observe`` event, as pycrdt reports it there: ``hash(origin)``.

    Only valid inside the callback; pycrdt drops the transaction afterwards.
    """
    return event.transaction.origin()  # type: ignore[attr-defined]
