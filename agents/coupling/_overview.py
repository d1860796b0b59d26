"""Dependencies stated in module and class docstrings.

Outlines often summarise their structure up front, e.g. "transpose builds on
col; multiply on row, col and _dot". A clause whose subject is a stub name,
followed by a dependency verb ("builds on", "uses", "calls", "needs",
"depends on", or a bare "on" continuing the previous clause), names the
subject's dependencies: every stub name in the rest of the clause.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ._models import CouplingConfig, Edge
from ._outline import Definition

_VERB = r"(?:builds? on|is built on|uses|use|calls|call|needs|need|depends? on|relies on|rely on|delegates? to|on)"
_CLAUSE_SPLIT = re.compile(r";|\n\s*\n|(?<=[.!?])\s+|,\s*(?:and\s+|while\s+)?(?=`?\w+`?\s+" + _VERB + r"\b)")


def overview_edges(stubs: list[Definition], overviews: list[tuple[str, str]], config: CouplingConfig) -> Iterator[Edge]:
    """``doc_ref`` edges from "X builds on Y and Z" clauses in module/class docstrings."""
    by_name: dict[str, list[Definition]] = {}
    for d in stubs:
        by_name.setdefault(d.name, []).append(d)
        by_name.setdefault(d.qualname, []).append(d)
    for where, doc in overviews:
        for clause in _CLAUSE_SPLIT.split(" ".join(doc.split())):
            m = re.match(rf"\s*(?:and\s+|then\s+)?`?([\w.]+)`?\s+{_VERB}\s+(.+)", clause)
            if m is None or m.group(1) not in by_name:
                continue
            rest = m.group(2)
            for src in by_name[m.group(1)]:
                for name, dsts in by_name.items():
                    if "." in name or not re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", rest):
                        continue
                    for dst in dsts:
                        if dst is not src and dst.owner == src.owner:
                            yield Edge(src=src.qualname, dst=dst.qualname, kind="doc_ref", weight=config.w_doc_ref,
                                       evidence=f"{where}: {clause.strip()[:120]}")
