"""Assemble a module from several replies, one per symbol, in order.

Two things only a batch can do, on top of splicing each reply in turn:

- an outline whose docstring was left open is repaired first (see
  :mod:`merge._outline`), so symbols nobody asked for stop breaking the module;
- a symbol whose own reply holds no usable implementation borrows one from
  another reply of the batch: replies to compositional prompts often return the
  whole class, or the requested method together with the helper it calls, and
  that helper's own reply may have implemented something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ._config import MergeConfig
from ._errors import MergeError, NoImplementationFound, UnparsableReply
from ._extract import extract
from ._outline import repair_outline
from ._splice import SpliceResult, splice

__all__ = ["Assembly", "assemble"]


@dataclass(frozen=True)
class Assembly:
    """The assembled module, the per-symbol splice results, and the symbols left as they were."""

    source: str
    results: dict[str, SpliceResult] = field(default_factory=dict)
    failures: dict[str, MergeError] = field(default_factory=dict)
    """Symbols whose reply could not be merged (their stub stays in place), with the typed error."""
    borrowed: dict[str, str] = field(default_factory=dict)
    """Symbols implemented from another symbol's reply (its own had none): symbol -> the reply's symbol."""
    outline_repairs: tuple[str, ...] = ()
    """Repairs made to a broken outline before merging (e.g. an unterminated docstring closed)."""


def _borrow(
    source: str, qualname: str, replies: list[tuple[str, str]], config: MergeConfig | None, tolerant: bool
) -> tuple[SpliceResult, str] | None:
    """Splice the first implementation of ``qualname`` found in another symbol's reply."""
    for owner, reply in replies:
        if owner == qualname:
            continue
        try:
            # No stub passed: a bare body in another reply belongs to that reply's own symbol.
            ext = extract(reply, qualname, config)
            return splice(source, qualname, ext, config, tolerant=tolerant), owner
        except MergeError:
            continue
    return None


def assemble(
    module_source: str,
    replies: Iterable[tuple[str, str]],
    config: MergeConfig | None = None,
    *,
    tolerant: bool = True,
) -> Assembly:
    """Splice each ``(qualname, reply)`` into the module in turn; a failing reply keeps its stub.

    ``tolerant`` lets a broken outline still take implementations region by
    region (replacing a stub with a broken docstring repairs the module), after
    :func:`merge._outline.repair_outline` had its try.  A symbol whose reply has
    no implementation of it takes one from another reply when
    ``config.borrow_implementations`` is on (reported in ``Assembly.borrowed``).
    """
    config = config or MergeConfig()
    pairs = list(replies)
    source, repairs = repair_outline(module_source) if tolerant else (module_source, ())
    results: dict[str, SpliceResult] = {}
    failures: dict[str, MergeError] = {}
    for qualname, reply in pairs:
        try:
            result = splice(source, qualname, reply, config, tolerant=tolerant)
        except MergeError as exc:
            failures[qualname] = exc
            continue
        results[qualname] = result
        source = result.source
    borrowed: dict[str, str] = {}
    if config.borrow_implementations:
        for qualname, exc in list(failures.items()):
            if not isinstance(exc, (NoImplementationFound, UnparsableReply)):
                continue  # the symbol, the module or an ambiguity the caller wants raised: not a missing reply
            found = _borrow(source, qualname, pairs, config, tolerant)
            if found is None:
                continue
            results[qualname], borrowed[qualname] = found
            source = found[0].source
            del failures[qualname]
    return Assembly(source=source, results=results, failures=failures, borrowed=borrowed, outline_repairs=repairs)
