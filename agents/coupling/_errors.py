"""Exception tree of the coupling classifier (drawn in the package docstring).

``SyntaxError`` from parsing an outline is translated into ``OutlineSyntaxError``
at one boundary (``_outline.parse_outline``) with ``raise ... from``.
"""

from __future__ import annotations

from agents._errors import AgentsError


class CouplingError(AgentsError):
    """Root of every error raised by ``agents.coupling``."""


class OutlineSyntaxError(CouplingError):
    """The outline is not valid Python; ``lineno``/``offset`` point at the problem (1-based, may be None)."""

    def __init__(self, message: str, *, lineno: int | None = None, offset: int | None = None) -> None:
        self.lineno = lineno
        self.offset = offset
        where = f" at line {lineno}" + (f", column {offset}" if offset else "") if lineno else ""
        super().__init__(f"outline is not valid Python{where}: {message}")


class UnknownSymbolError(CouplingError):
    """A requested stub symbol is not defined in the outline."""

    def __init__(self, missing: list[str], known: list[str]) -> None:
        self.missing = missing
        self.known = known
        hint = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        super().__init__(
            f"symbol(s) not defined in the outline: {', '.join(missing)}; "
            f"use qualified names such as 'Class.method'; defined: {hint or '(none)'}"
        )


class UnknownClassifierError(CouplingError):
    """``get_classifier`` was given a name that is not registered."""


class ClassifierConfigError(CouplingError):
    """A classifier was given invalid options (e.g. an oracle with malformed deps)."""
