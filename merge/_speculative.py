"""Speculative merge: k candidate implementations of one TODO, ranked by cheap checks.

Each candidate is spliced into its own copy of the module (nothing shared is
touched), scored by a list of cheap static checks from a registry, and ranked
best first (ties keep the candidates' order).  :func:`first_to_pass` runs an
expensive check (tests in a sandbox, a judge) on all merged candidates
concurrently and returns the first that passes, cancelling the rest.
"""

from __future__ import annotations

import builtins
import symtable
from dataclasses import dataclass, field
from typing import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Protocol, Sequence

import anyio
import libcst as cst

from ._config import MergeConfig
from ._conflicts import find_conflicts
from crdt_ws import compiles, symbol_table

from ._cst import attribute_uses, bound_names, code_of, parse_module
from ._errors import MergeError, NoCandidatePassed, UnknownCheck
from ._splice import SpliceResult, find_stub, splice

__all__ = ["Candidate", "Check", "CHECKS", "get_check", "speculative_merge", "first_to_pass", "DEFAULT_CHECKS"]


class Check(Protocol):
    """A cheap static check of one merged candidate."""

    @property
    def name(self) -> str: ...

    def __call__(self, result: SpliceResult) -> bool: ...


@dataclass(frozen=True)
class _FnCheck:
    name: str
    fn: Callable[[SpliceResult], bool]

    def __call__(self, result: SpliceResult) -> bool:
        return self.fn(result)


def _compiles(result: SpliceResult) -> bool:
    return compiles(result.source)


def _signature_kept(result: SpliceResult) -> bool:
    return not result.signature_changed


def _no_conflicts(result: SpliceResult) -> bool:
    try:
        others = [c for c in result.conflicts if c.kind != "signature_change"]  # scored by signature_kept
        return not find_conflicts(result.source) and not others
    except MergeError:
        return False


def _names_resolved(result: SpliceResult) -> bool:
    """Every global the symbol reads is bound at module level or is a builtin."""
    try:
        table = symbol_table(result.source)
    except SyntaxError:
        return False
    module_names = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
    parts = result.qualname.split(".")
    scope: symtable.SymbolTable | None = table
    for name in parts:
        children = [c for c in scope.get_children() if c.get_name() == name] if scope else []
        scope = children[0] if children else None
    if scope is None:
        return False
    missing: set[str] = set()

    def walk(tab: symtable.SymbolTable) -> None:
        for sym in tab.get_symbols():
            if sym.is_global() and sym.is_referenced():
                missing.add(sym.get_name())
        for child in tab.get_children():
            walk(child)

    walk(scope)
    return not (missing - module_names - set(dir(builtins)))


def _self_attrs_known(result: SpliceResult) -> bool:
    """``self.x`` reads in the method name something the class defines or assigns somewhere."""
    parts = result.qualname.split(".")
    if len(parts) < 2:
        return True
    try:
        module = parse_module(result.source, what="module")
        owner = find_stub(module, result.qualname)
    except MergeError:
        return False
    used = attribute_uses(code_of(owner), {"self"})
    assigned: set[str] = set()

    class Visitor(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            t = node.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                assigned.add(t.attr.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            t = node.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                assigned.add(t.attr.value)

        def visit_ClassDef(self, node: cst.ClassDef) -> None:
            if isinstance(node.body, cst.IndentedBlock):
                for stmt in node.body.body:
                    assigned.update(bound_names(stmt))

    module.visit(Visitor())
    return used <= assigned | set(dir(object))


_BUILTIN_CHECKS: list[Check] = [
    _FnCheck("compiles", _compiles),
    _FnCheck("signature_kept", _signature_kept),
    _FnCheck("names_resolved", _names_resolved),
    _FnCheck("self_attrs_known", _self_attrs_known),
    _FnCheck("no_conflicts", _no_conflicts),
]
CHECKS: Mapping[str, Check] = {c.name: c for c in _BUILTIN_CHECKS}
DEFAULT_CHECKS: tuple[str, ...] = tuple(CHECKS)


def get_check(name: str) -> Check:
    """The registered check called ``name``; a helpful :class:`UnknownCheck` otherwise."""
    try:
        return CHECKS[name]
    except KeyError:
        raise UnknownCheck(f"unknown check {name!r}; known: {', '.join(sorted(CHECKS))}") from None


@dataclass(frozen=True)
class Candidate:
    """One candidate implementation, merged into its own copy of the module, with its check results."""

    index: int
    reply: str
    result: SpliceResult | None
    error: MergeError | None = None
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def score(self) -> int:
        """Checks passed; a candidate that could not be merged scores -1."""
        return -1 if self.result is None else sum(self.checks.values())

    @property
    def source(self) -> str | None:
        return None if self.result is None else self.result.source


def _candidate(
    module: str, qualname: str, index: int, reply: str, config: MergeConfig | None, checks: Sequence[Check]
) -> Candidate:
    try:
        result = splice(module, qualname, reply, config)
    except MergeError as exc:
        return Candidate(index, reply, None, exc)
    return Candidate(index, reply, result, None, {c.name: bool(c(result)) for c in checks})


def speculative_merge(
    module: str,
    qualname: str,
    replies: Iterable[str],
    *,
    config: MergeConfig | None = None,
    checks: Sequence[str] = DEFAULT_CHECKS,
) -> list[Candidate]:
    """Merge every reply into its own copy of ``module``; best-scoring first, stable on ties."""
    resolved = [get_check(n) for n in checks]
    candidates = [_candidate(module, qualname, i, r, config, resolved) for i, r in enumerate(replies)]
    return sorted(candidates, key=lambda c: -c.score)


async def _aiter(replies: Iterable[str] | AsyncIterable[str]) -> AsyncIterable[str]:
    if isinstance(replies, AsyncIterable):
        async for reply in replies:
            yield reply
    else:
        for reply in replies:
            yield reply


async def first_to_pass(
    module: str,
    qualname: str,
    replies: Iterable[str] | AsyncIterable[str],
    check: Callable[[Candidate], Awaitable[bool]],
    *,
    config: MergeConfig | None = None,
    checks: Sequence[str] = DEFAULT_CHECKS,
    max_concurrent: int = 4,
) -> Candidate:
    """The first merged candidate for which ``check`` returns True; the other checks are cancelled.

    ``replies`` may be an async iterable (replies arriving as models finish):
    each is merged and checked as soon as it arrives.  Candidates that do not
    merge are never checked.  Raises :class:`NoCandidatePassed` if none passes.
    """
    resolved = [get_check(n) for n in checks]
    limiter = anyio.CapacityLimiter(max_concurrent)
    winner: list[Candidate] = []
    tried: list[Candidate] = []

    async def run(candidate: Candidate, scope: anyio.CancelScope) -> None:
        async with limiter:
            if winner:
                return
            passed = await check(candidate)
        if passed and not winner:
            winner.append(candidate)
            scope.cancel()

    async with anyio.create_task_group() as tg:
        index = 0
        async for reply in _aiter(replies):
            if winner:
                break
            candidate = _candidate(module, qualname, index, reply, config, resolved)
            index += 1
            tried.append(candidate)
            if candidate.result is not None:
                tg.start_soon(run, candidate, tg.cancel_scope)
    if winner:
        return winner[0]
    reasons = "; ".join(
        f"#{c.index}: {type(c.error).__name__}" if c.error else f"#{c.index}: check failed" for c in tried
    )
    raise NoCandidatePassed(f"none of {len(tried)} candidates for {qualname!r} passed ({reasons})")
