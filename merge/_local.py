"""Render only what a splice changed: the replaced statement's span of the module, not the whole module.

A commit into flask's 1500-line ``app.py`` replaces one method; rendering the
whole merged tree again cost more than the rest of the splice once parsing
was cut to the changed chunk (:func:`crdt_ws.statement_span`).  The merged
text is the old text with the statement's span rewritten, which is what the
whole render gives as long as the old statement renders back to exactly that
span (checked on every use; otherwise the caller renders the whole module).
"""

from __future__ import annotations

from typing import cast

import libcst as cst

from crdt_ws import statement_span

__all__ = ["local_code"]


def local_code(
    module: cst.Module,
    source: str,
    path: list[int],
    old: cst.CSTNode,
    owner: cst.CSTNode | None,
    new: list[cst.BaseStatement],
) -> str | None:
    """``source`` (``module``'s text) with the statement ``old`` at ``path`` (in class ``owner`` when two deep)
    replaced by ``new``; None when its span is unknown or does not hold exactly ``old``'s code."""
    span = statement_span(module, path)
    if span is None or len(path) > 2 or not isinstance(old, cst.BaseStatement):
        return None
    indent, newline = module.default_indent, module.default_newline
    if len(path) == 1:

        def render(nodes: list[cst.BaseStatement]) -> str:
            body = cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", nodes)
            return cst.Module(body=body, default_indent=indent, default_newline=newline).code

    else:
        if not isinstance(owner, cst.ClassDef) or not isinstance(owner.body, cst.IndentedBlock):
            return None
        block = owner.body

        def render(nodes: list[cst.BaseStatement]) -> str:
            # Inside a placeholder class with the owner's block (its indent), minus the placeholder's own line.
            wrapper = cst.ClassDef(name=cst.Name("_"), body=block.with_changes(body=nodes, footer=()))
            return cst.Module(body=[wrapper], default_indent=indent, default_newline=newline).code.split("\n", 1)[1]

    start, end = span
    if render([old]) != source[start:end]:
        return None
    return source[:start] + render(new) + source[end:]
