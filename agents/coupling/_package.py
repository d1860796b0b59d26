"""The coupling classifier over a whole package: one graph of TODO ids across modules.

``classify_package(modules, stubs)`` reads skeletons only (stub bodies are
empty, so calls inside bodies are not there to see). Inside each module the
static classifier's rules run unchanged and their ids get the module's path
(``"<path>::<symbol>"``). Across modules, with names resolved through the
imports (``_imports.PackageIndex``), a stub S needs a stub T when:

- ``import_ref``: S's docstring names T explicitly: ``t(``, a backticked or
  Sphinx-role name (``:func:`t```, ``:meth:`~pkg.Cls.m```), ``Cls.m``;
- ``import_class``-style ``import_ref``: S's docstring calls or backticks an
  imported class whose constructor T is a stub;
- ``import_word``: S's prose names an imported function T as a plain word;
- ``signature``: S's return annotation is a package class of another module
  (S builds one: T is its constructor); parameter annotations, weakly;
- ``decorator``: S is decorated with T (runs at definition time: weak);
- ``inherited``: S's docstring names ``self.x`` / ``x()`` and x is a method S's
  class inherits from a base (any module);
- ``override``: S overrides T of a base class (``__init__`` more strongly:
  it usually calls ``super().__init__``).

Weights are on :class:`CouplingConfig`; the plan (noisy-OR, threshold,
cycles, waves, decision) is the single-module one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence

from crdt_ws import parse_python

from ._errors import UnknownSymbolError
from ._evidence import split_docstring
from ._imports import PackageIndex, Target
from ._models import CouplingConfig, CouplingReport, Edge, EdgeKind
from ._outline import parse_outline
from ._plan import build_report
from ._static import static_edges
from ._tokens import FILLER, prose_words, stem
from ._words import specificity, split_identifier

# At most 8 links: longer dotted runs are not names (and would cost quadratic prefix lookups).
_CHAIN = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*){0,7})")
_MAX_EVIDENCE = 140


def todo_id(path: str, symbol: str) -> str:
    """The TODO id of ``symbol`` in file ``path`` (Contract 1: ``"<path>::<symbol>"``)."""
    return f"{path}::{symbol}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_EVIDENCE else text[: _MAX_EVIDENCE - 3] + "..."


class _Package:
    """The index plus the set of TODO ids: what a resolved name means for the plan."""

    def __init__(self, index: PackageIndex, ids: set[str], config: CouplingConfig) -> None:
        self.index = index
        self.ids = ids
        self.cfg = config
        self._inherited: dict[Target, dict[str, Target]] = {}

    def todo(self, target: Target | None) -> str | None:
        if target is None or target.qual is None:
            return None
        key = todo_id(target.path, target.qual)
        return key if key in self.ids else None

    def inherited(self, owner: Target) -> dict[str, Target]:
        """Method name -> the base-class method ``owner`` inherits (names ``owner`` defines itself left out)."""
        if owner not in self._inherited:
            own = self.index.modules[owner.path]
            found: dict[str, Target] = {}
            for cls in self.index.mro(owner)[1:]:
                info = self.index.modules[cls.path]
                prefix = f"{cls.qual}."
                for qual in info.functions:
                    name = qual[len(prefix):] if qual.startswith(prefix) else ""
                    if name and "." not in name and "#" not in name and f"{owner.qual}.{name}" not in own.functions:
                        found.setdefault(name, Target(cls.path, qual, "function"))
            self._inherited[owner] = found
        return self._inherited[owner]

    def constructor(self, cls: Target) -> str | None:
        return self.todo(self.index.member(cls, "__init__"))

    def edge(self, src: str, dst: str | None, kind: EdgeKind, weight: float, evidence: str) -> Iterator[Edge]:
        if dst is not None and dst != src and weight > 0:
            yield Edge(src=src, dst=dst, kind=kind, weight=weight, evidence=_clip(evidence))


def _chains(expr: ast.expr) -> Iterator[ast.expr]:
    """Outermost Name/Attribute chains inside ``expr``; string annotations are parsed."""
    if isinstance(expr, (ast.Name, ast.Attribute)):
        yield expr
        return
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        try:
            body = parse_python(expr.value.strip()).body
        except (SyntaxError, ValueError, RecursionError):
            return
        if len(body) == 1 and isinstance(body[0], ast.Expr):  # an annotation is one expression
            yield from _chains(body[0].value)
        return
    for child in ast.iter_child_nodes(expr):
        if isinstance(child, ast.expr):
            yield from _chains(child)


def _signature_edges(pkg: _Package, path: str, src: str, node: ast.FunctionDef | ast.AsyncFunctionDef, owner: Target | None) -> Iterator[Edge]:
    index, cfg = pkg.index, pkg.cfg
    for deco in node.decorator_list:
        func = deco.func if isinstance(deco, ast.Call) else deco
        target = index.resolve_expr(path, func)
        if target is not None and target.kind == "function":
            yield from pkg.edge(src, pkg.todo(target), "decorator", cfg.w_decorator, f"@{ast.unparse(deco)} on {src}")
    a = node.args
    params = [p.annotation for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p is not None and p.annotation is not None]
    for weight, exprs, what in ((cfg.w_return_class, [node.returns] if node.returns is not None else [], "returns"), (cfg.w_param_class, params, "takes")):
        for expr in exprs:
            for chain in _chains(expr):
                target = index.resolve_expr(path, chain)
                if target is None or target.kind != "class" or target.path == path or target == owner:
                    continue
                yield from pkg.edge(src, pkg.constructor(target), "signature", weight, f"{src} {what} {ast.unparse(chain)}")


def _doc_edges(pkg: _Package, path: str, src: str, qual: str, doc: str, owner: Target | None) -> Iterator[Edge]:
    index, cfg = pkg.index, pkg.cfg
    prose, _ = split_docstring(doc)
    text = "\n".join(prose)
    inherited = pkg.inherited(owner) if owner is not None else {}
    info = index.modules[path]
    for m in _CHAIN.finditer(text):
        chain = m.group(1)
        parts = chain.split(".")
        head = parts[1] if parts[0] in ("self", "cls") and len(parts) >= 2 else None
        if head is None and "." not in chain and not info.stars and chain not in info.bindings and chain not in inherited:
            continue  # cheap exit: a plain word that is neither imported nor inherited
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end():m.end() + 2].lstrip(" ")
        explicit = "." in chain or (before != "" and before in "`~'\"") or after.startswith("(")
        start = text.rfind("\n", 0, m.start()) + 1
        end = text.find("\n", m.end())
        evidence = f"docstring of {src}: {text[start:end if end >= 0 else len(text)].strip()}"
        if head is not None:
            if head in inherited:  # a member of the class itself: the static rules cover it
                yield from pkg.edge(src, pkg.todo(inherited[head]), "inherited", cfg.w_inherited, evidence)
            continue
        target = index.resolve_dotted(path, chain) if explicit else index.resolve_name(path, chain)
        if target is None:
            if len(parts) == 1 and chain in inherited and not chain.startswith("__"):
                weight = cfg.w_inherited if explicit else cfg.w_import_word_specific if specificity(chain) == "specific" else 0.0
                yield from pkg.edge(src, pkg.todo(inherited[chain]), "inherited", weight, evidence)
            continue
        if target.path == path:
            continue  # in-module references: the static rules cover them
        if target.kind == "class":
            if after.startswith("(") or (before != "" and before in "`~"):
                yield from pkg.edge(src, pkg.constructor(target), "import_ref", cfg.w_import_class, evidence)
            continue
        if target.kind != "function":
            continue
        if explicit:
            yield from pkg.edge(src, pkg.todo(target), "import_ref", cfg.w_import_ref, evidence)
        else:
            spec = specificity(parts[-1])
            weight = {"specific": cfg.w_import_word_specific, "plain": cfg.w_import_word_plain, "common": 0.0}[spec]
            yield from pkg.edge(src, pkg.todo(target), "import_word", weight, evidence)


def _imported(pkg: _Package, path: str) -> list[tuple[str, str, str]]:
    """(local name, name as defined, TODO id) for module-level imports of another module's function or class stubs."""
    out: list[tuple[str, str, str]] = []
    for local in pkg.index.modules[path].bindings:
        target = pkg.index.resolve_name(path, local)
        if target is None or target.path == path or target.qual is None:
            continue
        todo = pkg.constructor(target) if target.kind == "class" else pkg.todo(target)
        if todo is not None:
            out.append((local, target.qual.rsplit(".", 1)[-1], todo))
    return out


def _import_use_edges(pkg: _Package, path: str, symbols: list[str]) -> Iterator[Edge]:
    """An import from another module is there for some stub of this module: the sole one, or the ones its name describes."""
    imported = _imported(pkg, path)
    if not imported:
        return
    info = pkg.index.modules[path]
    words: dict[str, set[str]] = {}

    def words_of(qual: str) -> set[str]:
        if qual not in words:
            node = info.functions[qual]
            prose, _ = split_docstring(ast.get_docstring(node, clean=True) or "")
            a = node.args
            names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg) if p is not None]
            names += [n.id for ann in (*(p.annotation for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)), node.returns) if ann is not None for n in ast.walk(ann) if isinstance(n, ast.Name)]
            own = {stem(t) for t in split_identifier(node.name)}
            words[qual] = set(prose_words([*prose, " ".join(names)])) - own
        return words[qual]

    for local, name, dst in imported:
        content = {stem(t) for t in split_identifier(name)} - FILLER
        content = {t for t in content if len(t) > 2} or {stem(t) for t in split_identifier(name)}
        if len(symbols) == 1:
            src = todo_id(path, symbols[0])
            yield from pkg.edge(src, dst, "import_use", pkg.cfg.w_import_sole, f"{path} imports {local} and {symbols[0]} is its only stub")
            continue
        users = [q for q in symbols if content <= words_of(q)]
        weight = pkg.cfg.w_import_sole_mention if len(users) == 1 else pkg.cfg.w_import_tokens
        for qual in users:
            yield from pkg.edge(todo_id(path, qual), dst, "import_use", weight, f"{path} imports {local}; {qual} mentions {', '.join(sorted(content))}")


def _override_edges(pkg: _Package, path: str, src: str, qual: str, owner: Target | None) -> Iterator[Edge]:
    if owner is None:
        return
    name = qual.split("#", 1)[0].rsplit(".", 1)[-1]
    base = pkg.index.member(owner, name, skip_self=True)
    weight = pkg.cfg.w_override_init if name == "__init__" else pkg.cfg.w_override
    if base is not None and base.kind == "function":
        yield from pkg.edge(src, pkg.todo(base), "override", weight, f"{src} overrides {base.path}::{base.qual}")


def classify_package(modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], config: CouplingConfig | None = None) -> CouplingReport:
    """One report over a package; every id is ``"<path>::<symbol>"`` (see the module docstring)."""
    cfg = config or CouplingConfig()
    unknown_files = sorted(set(stubs) - set(modules))
    if unknown_files:
        raise UnknownSymbolError([f"{p}::*" for p in unknown_files], sorted(modules))
    index = PackageIndex(modules)
    ids: list[str] = []
    for path in modules:
        info = index.modules[path]
        missing = [s for s in stubs.get(path, ()) if s not in info.functions]
        if missing:
            raise UnknownSymbolError([todo_id(path, s) for s in missing], [todo_id(path, s) for s in info.functions])
        ids += [todo_id(path, s) for s in stubs.get(path, ())]
    pkg = _Package(index, set(ids), cfg)
    edges: list[Edge] = []
    fields: dict[str, list[str]] = {}
    for path, source in modules.items():
        symbols = list(stubs.get(path, ()))
        if not symbols:
            continue
        parsed = parse_outline(source, index.modules[path].tree)
        # Numbered twins (Cls.x#2) and definitions under `with` are not in the single-file outline model.
        chosen = [d for d in parsed.definitions.values() if d.qualname in set(symbols)]
        found, roles = static_edges(parsed, chosen, cfg)
        edges += [e.model_copy(update={"src": todo_id(path, e.src), "dst": todo_id(path, e.dst)}) for e in found]
        for field, by_stub in sorted(roles.items()):
            fields[todo_id(path, field)] = [todo_id(path, s) for s in symbols if s in by_stub]
        info = index.modules[path]
        for qual in symbols:
            node, owner_qual = info.functions[qual], info.owner[qual]
            owner = Target(path, owner_qual, "class") if owner_qual is not None else None
            src = todo_id(path, qual)
            edges += _signature_edges(pkg, path, src, node, owner)
            edges += _doc_edges(pkg, path, src, qual, ast.get_docstring(node, clean=True) or "", owner)
            edges += _override_edges(pkg, path, src, qual, owner)
        edges += _import_use_edges(pkg, path, symbols)
    cross = sum(1 for e in edges if e.src.split("::", 1)[0] != e.dst.split("::", 1)[0])
    reasons = [f"{len(modules)} module(s), {len(ids)} stub(s); {cross} evidence edge(s) across modules"]
    return build_report("static", ids, edges, cfg, reasons=reasons, fields=fields)
