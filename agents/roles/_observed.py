"""Dependencies observed in committed code, and the re-draft rule built on them.

The classifier predicts dependencies from the outline; once a body is
committed, the stubs it really uses are facts.  ``used_stubs`` finds them with
libcst: calls and references through ``self``/``cls``/the class name, and
calls of module-level stubs.  A TODO *drafted blind* is one whose committed
code uses a stub whose code its prompt did not show (the implementer records
what the prompt showed in the TODO's ``seen`` field).

``redraft_reason`` is the judge agent's rule for speculative work (modes
``speculate`` and ``revise``): once every stub a blind draft uses has landed,
the draft is re-drafted with that code in view — unless its visible checks
vouch for it (doctest examples exist and pass).  ``revise`` also revises a
draft that saw no sibling's code at all, once some sibling is committed:
sibling code matters beyond calls (field use, naming, shared conventions).
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable

import libcst as cst

from crdt_ws import TodoEntry, TodoStatus, parse_cst

from ._package import model_symbol

__all__ = ["used_stubs", "redraft_reason", "redrafts_due", "speculative"]


class _Uses(cst.CSTVisitor):
    def __init__(self, owners: frozenset[str]) -> None:
        self.owners = owners
        self.names: set[str] = set()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name) and node.value.value in self.owners:
            self.names.add(node.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self.names.add(node.func.value)


@functools.lru_cache(maxsize=4096)
def _names(code: str, owners: frozenset[str]) -> frozenset[str]:
    try:
        module = parse_cst(code)
    except SyntaxError:
        return frozenset()
    visitor = _Uses(owners)
    module.visit(visitor)
    return frozenset(visitor.names)


def used_stubs(entry: TodoEntry, entries: list[TodoEntry]) -> set[str]:
    """The other TODOs (same file) that ``entry``'s committed code calls or references, named as ``seen`` names them
    (:func:`~agents.roles._package.model_symbol`: the symbol, or ``path::symbol`` in a package)."""
    code = entry.result or ""
    if not code.strip():
        return set()
    owner = entry.symbol.rsplit(".", 1)[0] if "." in entry.symbol else ""
    owners = frozenset({"self", "cls", *([owner] if owner else [])})
    # A method's code is committed dedented to column 0 or as it sits in its class; both parse once dedented.
    names = _names(textwrap.dedent(code), owners)
    found: set[str] = set()
    for other in entries:
        if other.id == entry.id or other.file != entry.file:
            continue
        head, _, last = other.symbol.rpartition(".")
        if last in names and (head == owner or not head):
            found.add(model_symbol(other))
    return found


def redraft_reason(entry: TodoEntry, entries: list[TodoEntry], *, mode: str, vouched: bool, max_redrafts: int = 1) -> str | None:
    """Why the judge should re-draft this done, judged TODO now (None: keep it, or not yet).

    ``vouched``: its visible checks exist and pass.  Only a TODO whose
    ``seen`` was recorded (by an implementer of this project) is considered.
    """
    extra = entry.model_extra or {}
    seen_raw = extra.get("seen")
    if mode not in ("speculate", "seeded", "revise") or vouched or not isinstance(seen_raw, list):
        return None
    done = _int(extra.get("redrafts"))
    if done >= max_redrafts or entry.status != TodoStatus.DONE:
        return None
    seen = {str(s) for s in seen_raw}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    by_symbol = {model_symbol(e): e for e in entries}
    blind = sorted(used_stubs(entry, entries) - seen)
    if blind:
        if all(by_symbol[s].status == TodoStatus.DONE for s in blind):
            return f"drafted without seeing {', '.join(blind)}, which it calls; their code is committed now"
        return None  # wait for them to land; nobody is blocked meanwhile
    siblings = [e for e in entries if e.id != entry.id and e.file == entry.file]
    if mode == "revise" and siblings and not seen & {model_symbol(e) for e in siblings}:
        if any(e.status == TodoStatus.DONE and e.result for e in siblings):
            return "drafted with no other method's code in view; some is committed now"
    return None


def speculative(entry: TodoEntry, entries: list[TodoEntry], *, mode: str, max_redrafts: int = 1) -> bool:
    """Whether a verdict on ``entry``'s committed draft can still lead to a re-draft of it.

    True for a draft that uses a stub its prompt did not show (or, in ``revise``,
    one that saw no sibling) and has re-drafts left: its checks failing, or never
    vouching, re-drafts it.  Any other draft stays as it is whatever its verdict
    says, unless a repair reopens it (the judge weighs that itself), so a re-draft
    that reads it need not wait for that verdict.
    """
    extra = entry.model_extra or {}
    seen_raw = extra.get("seen")
    if mode not in ("speculate", "seeded", "revise") or not isinstance(seen_raw, list):
        return False
    if _int(extra.get("redrafts")) >= max_redrafts or entry.status != TodoStatus.DONE:
        return False
    seen = {str(s) for s in seen_raw}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    if used_stubs(entry, entries) - seen:
        return True
    siblings = {model_symbol(e) for e in entries if e.id != entry.id and e.file == entry.file}
    return mode == "revise" and bool(siblings) and not seen & siblings


def redrafts_due(
    entries: list[TodoEntry], *, mode: str, vouched: Callable[[TodoEntry], bool], waiting: Callable[[TodoEntry], bool], max_redrafts: int = 1
) -> list[tuple[TodoEntry, str]]:
    """The re-drafts to ask for now, in one pass over the replica.

    A blind draft waits while a stub it used is still going to change (not done,
    awaiting its verdict, or due a re-draft itself): re-drafting it against a
    draft that is about to be replaced would only see the wrong code again.
    """
    due = {
        model_symbol(e): (e, why)
        for e in entries
        if not waiting(e) and (why := redraft_reason(e, entries, mode=mode, vouched=vouched(e), max_redrafts=max_redrafts)) is not None
    }
    changing = set(due) | {model_symbol(e) for e in entries if e.status != TodoStatus.DONE or waiting(e)}
    out: list[tuple[TodoEntry, str]] = []
    for symbol, (entry, why) in due.items():
        seen = {str(s) for s in (entry.model_extra or {}).get("seen") or []}  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
        if (used_stubs(entry, entries) - seen) & (changing - {symbol}):
            continue  # next time, once those have settled
        out.append((entry, why))
    return out


def _int(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) else 0
