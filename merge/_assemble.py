"""Assemble a module from several replies, one per symbol, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ._config import MergeConfig
from ._errors import MergeError
from ._splice import SpliceResult, splice

__all__ = ["Assembly", "assemble"]


@dataclass(frozen=True)
class Assembly:
    """The assembled module, the per-symbol splice results, and the symbols left as they were."""

    source: str
    results: dict[str, SpliceResult] = field(default_factory=dict)
    failures: dict[str, MergeError] = field(default_factory=dict)
    """Symbols whose reply could not be merged (their stub stays in place), with the typed error."""


def assemble(
    module_source: str,
    replies: Iterable[tuple[str, str]],
    config: MergeConfig | None = None,
    *,
    tolerant: bool = True,
) -> Assembly:
    """Splice each ``(qualname, reply)`` into the module in turn; a failing reply keeps its stub.

    ``tolerant`` lets a broken outline still take implementations region by
    region (replacing a stub with a broken docstring repairs the module).
    """
    source = module_source
    results: dict[str, SpliceResult] = {}
    failures: dict[str, MergeError] = {}
    for qualname, reply in replies:
        try:
            result = splice(source, qualname, reply, config, tolerant=tolerant)
        except MergeError as exc:
            failures[qualname] = exc
            continue
        results[qualname] = result
        source = result.source
    return Assembly(source=source, results=results, failures=failures)
