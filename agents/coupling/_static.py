"""The static classifier: ast analysis of the outline alone, no model calls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._evidence import Index, call_edges, doc_edges, field_roles, split_docstring, state_edges, type_edges
from ._overview import overview_edges
from ._tokens import token_edges
from ._models import CouplingConfig, CouplingReport, Edge
from ._outline import Definition, Outline, parse_outline, select_stubs
from ._plan import build_report


class StaticClassifier:
    """Predicts dependencies between stubs from calls in bodies, docstrings, doctests, shared fields and types."""

    name = "static"

    def __init__(self, config: CouplingConfig | None = None) -> None:
        self.config = config or CouplingConfig()

    def classify(self, outline: str, symbols: list[str] | None = None, config: CouplingConfig | None = None) -> CouplingReport:
        """Classify ``outline``; ``symbols`` (qualified names) default to every stub body in it."""
        cfg = config or self.config
        parsed = parse_outline(outline)
        stubs = select_stubs(parsed, symbols)
        edges, roles = static_edges(parsed, stubs, cfg)
        reasons = ["the outline was wrapped in a string literal; analysed the code inside it"] if parsed.unwrapped else []
        if not stubs:
            reasons.append("no stubs found (no function whose body is only a docstring, pass, ... or raise NotImplementedError)")
        fields = {f: sorted(by_stub, key=[s.qualname for s in stubs].index) for f, by_stub in sorted(roles.items())}
        return build_report(self.name, [s.qualname for s in stubs], edges, cfg, reasons=reasons, fields=fields)


    def classify_package(self, modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], config: CouplingConfig | None = None) -> CouplingReport:
        """One report over a package, ids ``"<path>::<symbol>"`` (see ``agents.coupling._package``)."""
        from ._package import classify_package  # the package classifier builds on this module

        return classify_package(modules, stubs, config or self.config)


def static_edges(parsed: Outline, stubs: list[Definition], cfg: CouplingConfig) -> tuple[list[Edge], dict[str, dict[str, str]]]:
    """Every in-outline evidence edge between ``stubs``, and the shared fields' roles (field -> stub -> role)."""
    index = Index(parsed, stubs)
    roles = field_roles(index)
    named = [*doc_edges(index, cfg), *overview_edges(stubs, parsed.overviews, cfg)]
    skip = {(e.src, e.dst) for e in named if e.kind in ("doc_ref", "doc_word")}
    prose = {s.qualname: split_docstring(s.docstring)[0] for s in stubs}
    edges: list[Edge] = [
        *call_edges(index, cfg),
        *named,
        *token_edges(stubs, prose, cfg, skip),
        *state_edges(index, roles, cfg),
        *type_edges(index, cfg),
    ]
    return edges, roles


def classify(outline: str, symbols: list[str] | None = None, config: CouplingConfig | None = None) -> CouplingReport:
    """Classify ``outline`` with the static classifier (see ``StaticClassifier``)."""
    return StaticClassifier(config).classify(outline, symbols)
