"""The oracle classifier: ground-truth deps in, the same plan and decision out (for experiments)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors import ClassifierConfigError
from ._models import CouplingConfig, CouplingReport, Edge
from ._outline import parse_outline, select_stubs
from ._plan import build_report


class OracleClassifier:
    """Reports the dependencies it was given (stub -> stubs it needs), planned like the static classifier's.

    The outline only supplies the stubs and their order; dependencies on names
    that are not among the stubs are ignored (and listed in ``reasons``).
    """

    name = "oracle"

    def __init__(self, deps: Mapping[str, Sequence[str]], config: CouplingConfig | None = None) -> None:
        if not isinstance(deps, Mapping) or not all(isinstance(k, str) and not isinstance(v, str) and all(isinstance(x, str) for x in v) for k, v in deps.items()):
            raise ClassifierConfigError("oracle deps must be a mapping of stub name -> list of stub names")
        self.deps = {k: list(v) for k, v in deps.items()}
        self.config = config or CouplingConfig()

    def classify(self, outline: str, symbols: list[str] | None = None, config: CouplingConfig | None = None) -> CouplingReport:
        """Plan the given deps over the stubs of ``outline`` (or ``symbols``)."""
        stubs = [d.qualname for d in select_stubs(parse_outline(outline), symbols)]
        return self._report(stubs, config)

    def classify_package(self, modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], config: CouplingConfig | None = None) -> CouplingReport:
        """Plan the given deps (keyed by TODO ids ``"<path>::<symbol>"``) over a package's stubs, in package order."""
        missing = sorted(set(stubs) - set(modules))
        if missing:
            raise ClassifierConfigError(f"stubs listed for files that are not among the modules: {', '.join(missing)}")
        return self._report([f"{path}::{symbol}" for path in modules for symbol in stubs.get(path, ())], config)

    def _report(self, stubs: list[str], config: CouplingConfig | None) -> CouplingReport:
        known = set(stubs)
        edges: list[Edge] = []
        ignored: list[str] = []
        for src, dsts in sorted(self.deps.items()):
            for dst in dsts:
                if src in known and dst in known and src != dst:
                    edges.append(Edge(src=src, dst=dst, kind="oracle", weight=1.0, evidence="ground truth"))
                else:
                    ignored.append(f"{src} -> {dst}")
        reasons = [f"ignored ground-truth edges outside the stubs: {', '.join(ignored)}"] if ignored else []
        return build_report(self.name, stubs, edges, config or self.config, reasons=reasons)
