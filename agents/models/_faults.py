"""Seeded, realistic faults injected into reference code with libcst.

Each kind is a libcst transformer that changes exactly one site, chosen by the
caller's RNG among all applicable sites, so a (seed, task, symbol, attempt) key
always gives the same fault. Kinds:

* ``off_by_one``: an integer literal ``n`` becomes ``n + 1`` or ``n - 1``.
* ``flip_comparison``: a comparison operator becomes its negation
  (``<`` -> ``>=``, ``==`` -> ``!=``, ``in`` -> ``not in``, ...).
* ``wrong_callee``: a called function or method gets a plausible wrong name
  (``append`` -> ``add``, ``get_jwt_user`` -> ``get_jwt_users``).
* ``missing_import``: an ``import`` statement of the reply is dropped.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from crdt_ws import parse_cst

from ._errors import ConfigError

__all__ = ["FAULT_KINDS", "Fault", "FaultKind", "inject_fault", "inject_one_of"]

FaultKind = Literal["off_by_one", "flip_comparison", "wrong_callee", "missing_import"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True)
class Fault:
    """What was injected, for reports and tests."""

    kind: FaultKind
    line: int
    before: str
    after: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.before!r} -> {self.after!r} (line {self.line})"


_NEGATIONS: tuple[tuple[type[cst.BaseCompOp], type[cst.BaseCompOp]], ...] = (
    (cst.Equal, cst.NotEqual),
    (cst.LessThan, cst.GreaterThanEqual),
    (cst.GreaterThan, cst.LessThanEqual),
    (cst.In, cst.NotIn),
    (cst.Is, cst.IsNot),
)
_NEGATE: dict[type[cst.BaseCompOp], type[cst.BaseCompOp]] = {
    **{a: b for a, b in _NEGATIONS},
    **{b: a for a, b in _NEGATIONS},
}


def _negated(op: cst.BaseCompOp) -> cst.BaseCompOp:
    """The opposite operator, keeping the original spacing."""
    new_type: type[Any] = _NEGATE[type(op)]
    return new_type(whitespace_before=getattr(op, "whitespace_before"), whitespace_after=getattr(op, "whitespace_after"))


_SYNONYMS = {
    "append": "add", "add": "append", "get": "fetch", "items": "iteritems", "keys": "key_list",
    "values": "value_list", "lower": "to_lower", "upper": "to_upper", "strip": "trim", "split": "split_by",
    "join": "concat", "startswith": "starts_with", "endswith": "ends_with", "len": "length", "sorted": "sort",
    "isinstance": "is_instance", "format": "fmt", "replace": "replace_all", "remove": "delete", "pop": "pop_item",
    "insert": "insert_at", "update": "merge", "extend": "append_all", "sum": "total", "max": "maximum",
    "min": "minimum", "round": "round_to", "range": "xrange", "print": "println", "str": "string", "int": "integer",
    "find": "index_of", "count": "count_of", "execute": "run", "commit": "save", "now": "today",
}  # fmt: skip


def wrong_name(name: str) -> str:
    """A plausible but wrong name for a callee."""
    if name in _SYNONYMS:
        return _SYNONYMS[name]
    if name.endswith("s") and len(name) > 2:
        return name[:-1]
    return name + "s"


def _callee(node: cst.Call) -> cst.Name | None:
    func = node.func
    if isinstance(func, cst.Name):
        return func
    if isinstance(func, cst.Attribute):
        return func.attr
    return None


class _Collector(cst.CSTVisitor):
    """Every fault site of every kind, in one pass (libcst parsing dominates the cost)."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self) -> None:
        self.sites: dict[FaultKind, list[tuple[cst.CSTNode, int]]] = {kind: [] for kind in FAULT_KINDS}

    def _add(self, kind: FaultKind, node: cst.CSTNode) -> None:
        position: CodeRange = self.get_metadata(PositionProvider, node)  # pyright: ignore[reportAssignmentType]
        self.sites[kind].append((node, position.start.line))

    def visit_Integer(self, node: cst.Integer) -> None:
        self._add("off_by_one", node)

    def visit_ComparisonTarget(self, node: cst.ComparisonTarget) -> None:
        if type(node.operator) in _NEGATE:
            self._add("flip_comparison", node)

    def visit_Call(self, node: cst.Call) -> None:
        if _callee(node) is not None:
            self._add("wrong_callee", node)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        if any(isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body):
            self._add("missing_import", node)


class _Mutator(cst.CSTTransformer):
    def __init__(self, target: cst.CSTNode, rng: random.Random) -> None:
        self.target = target
        self.rng = rng
        self.before = ""
        self.after = ""

    def leave_Integer(self, original_node: cst.Integer, updated_node: cst.Integer) -> cst.BaseExpression:
        if original_node is not self.target:
            return updated_node
        value = int(original_node.value, 0)
        new = value + 1 if value == 0 or self.rng.random() < 0.5 else value - 1
        self.before, self.after = original_node.value, str(new)
        return updated_node.with_changes(value=str(new))

    def leave_ComparisonTarget(
        self, original_node: cst.ComparisonTarget, updated_node: cst.ComparisonTarget
    ) -> cst.ComparisonTarget:
        if original_node is not self.target:
            return updated_node
        new_op = _negated(original_node.operator)
        self.before = cst.Module([]).code_for_node(original_node.operator).strip()
        self.after = cst.Module([]).code_for_node(new_op).strip()
        return updated_node.with_changes(operator=new_op)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if original_node is not self.target:
            return updated_node
        name = _callee(original_node)
        assert name is not None
        new = wrong_name(name.value)
        self.before, self.after = name.value, new
        func = updated_node.func
        if isinstance(func, cst.Attribute):
            return updated_node.with_changes(func=func.with_changes(attr=cst.Name(new)))
        return updated_node.with_changes(func=cst.Name(new))

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        if original_node is not self.target:
            return updated_node
        self.before, self.after = cst.Module([]).code_for_node(original_node).strip(), ""
        return cst.RemoveFromParent()


def _sites(code: str) -> tuple[MetadataWrapper, dict[FaultKind, list[tuple[cst.CSTNode, int]]]]:
    try:
        wrapper = MetadataWrapper(parse_cst(code))
    except SyntaxError as err:
        raise ConfigError(f"reference code does not parse, cannot inject faults: {err}") from err
    collector = _Collector()
    wrapper.visit(collector)
    return wrapper, collector.sites


def _apply(wrapper: MetadataWrapper, kind: FaultKind, sites: list[tuple[cst.CSTNode, int]], rng: random.Random) -> tuple[str, Fault]:
    target, line = sites[rng.randrange(len(sites))]
    mutator = _Mutator(target, rng)
    mutated = wrapper.module.visit(mutator)
    return mutated.code, Fault(kind=kind, line=line, before=mutator.before, after=mutator.after)


def _check(kinds: Sequence[str]) -> None:
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown:
        raise ConfigError(f"unknown fault kind(s) {unknown}; known: {', '.join(FAULT_KINDS)}")


def inject_fault(code: str, kind: FaultKind, rng: random.Random) -> tuple[str, Fault] | None:
    """Inject one fault of ``kind`` at a site chosen by ``rng``; None if ``code`` has no such site.

    Raises ``ConfigError`` if ``code`` is not parseable Python (a broken reference).
    """
    _check([kind])
    wrapper, sites = _sites(code)
    return _apply(wrapper, kind, sites[kind], rng) if sites[kind] else None


def inject_one_of(code: str, kinds: Sequence[FaultKind], rng: random.Random) -> tuple[str, Fault | None]:
    """Try ``kinds`` in an order drawn from ``rng``; the first applicable one is injected."""
    _check(kinds)
    order = list(kinds)
    rng.shuffle(order)
    wrapper, sites = _sites(code)
    for kind in order:
        if sites[kind]:
            return _apply(wrapper, kind, sites[kind], rng)
    return code, None
