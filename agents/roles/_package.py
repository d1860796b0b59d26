"""Multi-file tasks: per-file outlines in ``meta``, TODO ids across files, the package classifier seam.

A multi-file task (``TaskSpec.files``) publishes one buffer per module and
``meta.outlines`` (path -> skeleton) plus ``meta.files`` (paths in package
order); ``meta.outline`` stays the single-file skeleton ("" for a package).
Every role reads a TODO's skeleton through :func:`outline_of`, so one code
path serves both kinds of task.  TODO ids of a package are
``crdt_ws.todo_key(path, symbol)``; a model request names the TODO by that
key (:func:`model_symbol`) so offline providers can tell two modules'
``__init__`` apart.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from pycrdt import Map

from crdt_ws import TodoEntry, TodoStatus, outline, parse_python, split_todo_key, todo_key

from agents.coupling import Classifier, CouplingReport, Edge, PackageClassifier, get_classifier
from agents.scheduler import topological_order

__all__ = [
    "classify_package", "committed_text", "is_package", "model_symbol", "module_view", "outline_of", "package_index", "raising_stubs",
]  # fmt: skip


def is_package(meta: Mapping[str, Any] | Map[Any]) -> bool:
    """Whether the document holds a multi-file task (the outliner published ``meta.outlines``)."""
    return isinstance(meta.get("outlines"), dict) and bool(meta.get("outlines"))


def outline_of(meta: Mapping[str, Any] | Map[Any], file: str) -> str:
    """The skeleton ``file`` started from: ``meta.outlines[file]`` in a package, else ``meta.outline``."""
    outlines = meta.get("outlines")
    if isinstance(outlines, dict) and outlines:
        return str(outlines.get(file, ""))  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
    return str(meta.get("outline", ""))


def model_symbol(entry: TodoEntry) -> str:
    """How a model request and ``shown`` name this TODO: its ``path::symbol`` key in a package, else the symbol."""
    file, _ = split_todo_key(entry.id)
    return entry.id if file is not None and entry.id == todo_key(entry.file, entry.symbol) else entry.symbol


def classify_package(modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], classifier: str = "static") -> CouplingReport:
    """A package's coupling report over TODO ids ``"<path>::<symbol>"``.

    A classifier that takes packages (``agents.coupling.PackageClassifier``: both built-ins) builds one graph
    across modules; any other registered classifier is run per module, its ids prefixed with the path, and
    then predicts no dependency across modules.
    """
    impl = get_classifier(classifier)
    if hasattr(impl, "classify_package"):
        return cast(PackageClassifier, impl).classify_package(modules, stubs)
    return _per_module(impl, modules, stubs, classifier)


def _per_module(impl: Classifier, modules: Mapping[str, str], stubs: Mapping[str, Sequence[str]], classifier: str) -> CouplingReport:
    """A single-module classifier over a package: one report per module, merged, ids prefixed."""
    ids: list[str] = []
    edges: list[Edge] = []
    deps: dict[str, list[str]] = {}
    dropped: list[tuple[str, str]] = []
    reasons: list[str] = []
    for path, source in modules.items():
        symbols = list(stubs.get(path, ()))
        if not symbols:
            continue
        report = impl.classify(source, symbols)
        ids += [todo_key(path, s) for s in symbols]
        edges += [e.model_copy(update={"src": todo_key(path, e.src), "dst": todo_key(path, e.dst)}) for e in report.edges]
        for src, dsts in report.deps.items():
            deps[todo_key(path, src)] = [todo_key(path, d) for d in dsts]
        dropped += [(todo_key(path, a), todo_key(path, b)) for a, b in report.dropped]
        reasons += [f"{path}: {r}" for r in report.reasons[:3]]
    for key in ids:
        deps.setdefault(key, [])
    waves = topological_order(ids, deps) if ids else []
    score = (len(waves) - 1) / (len(ids) - 1) if len(ids) > 1 else 0.0
    decision = "parallel" if len(waves) <= 1 else "serial" if score > 0.5 else "waves"
    reasons.insert(0, f"per-module {classifier} classifier over {len(modules)} modules (no cross-module evidence)")
    return CouplingReport(
        classifier=f"{classifier}/per-module", stubs=ids, edges=edges, deps=deps, dropped=dropped,
        waves=waves, score=score, decision=decision, reasons=reasons,
    )  # fmt: skip


def committed_text(skeleton: str, entries: list[TodoEntry]) -> str:
    """``skeleton`` with each done TODO's ``result`` in place of its stub: one file as committed.

    A result is its region's exact text in the buffer (``ClaimBoard.complete`` records it), so putting it
    over the stub's span is the splice, done with the line scanner instead of libcst: every implementer
    calls this per prompt and the judge per round, on files with up to a hundred TODOs (libcst costs
    10-20 ms a symbol, and holds the GIL the agents' event loop needs).
    """
    spans: dict[str, tuple[int, int]] = {}
    for span in outline(skeleton):
        spans.setdefault(span.qualname, (span.start, span.end))  # outline numbers repeated names (Cls.x#2), as TODOs do
    edits = sorted(
        (spans[e.symbol], e.result if e.result.endswith("\n") else e.result + "\n")
        for e in entries
        if e.status == TodoStatus.DONE and e.result and e.symbol in spans
    )
    out, at = [], 0
    for (start, end), text in edits:
        if start < at:
            continue  # nested in a region already replaced (a stub inside another TODO's region)
        out += [skeleton[at:start], text]
        at = end
    return "".join(out) + skeleton[at:]


_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]+)(?:pass|\.\.\.)[ \t]*(?:#.*)?$", re.M)


def raising_stubs(skeleton: str, symbols: Iterable[str]) -> str:
    """``skeleton`` with the placeholder of each of ``symbols``' stubs (its last ``pass`` / ``...`` line) turned
    into ``raise NotImplementedError``.

    For the check tests run while TODOs are still being written: a stub that returns None lets its caller fail
    instead (``None`` has no attribute ...), and the caller, whose code may be right, is blamed; a stub that
    raises fails the test inside its own region, which blames nobody (its TODO is not committed).
    """
    wanted = set(symbols)
    if not wanted:
        return skeleton  # the usual case once drafting is over: no outline to scan
    spans = [s for s in outline(skeleton) if s.kind == "def" and s.qualname in wanted]
    out, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < at:
            continue
        body = skeleton[span.start : span.end]
        found = list(_PLACEHOLDER.finditer(body))
        last = found[-1] if found else None
        if last is None or body[last.end() :].strip():
            continue  # no placeholder ends this stub (it raises already, or a docstring line only looks like one)
        raised = f"{last.group('indent')}raise NotImplementedError({span.qualname + ' is still being written'!r})"
        out += [skeleton[at : span.start], body[: last.start()], raised, body[last.end() :]]
        at = span.end
    return "".join(out) + skeleton[at:]


def package_index(outlines: Mapping[str, str], *, skip: str | None = None, limit: int = 40) -> str:
    """One line per other module: its import path and top-level names (classes with their methods' count).

    Shown to an implementer so ``from pkg.mod import Name`` names what exists.
    """
    lines = [_index_line(path, source, limit) for path, source in outlines.items() if path != skip]
    return "\n".join(line for line in lines if line is not None)


@functools.lru_cache(maxsize=256)
def _index_line(path: str, source: str, limit: int) -> str | None:
    """``path``'s line of the package index (None: it does not parse); kept by text, since every prompt
    of a package lists the same modules and only the one just committed to has changed."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError):
        return None
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names.append(f"class {node.name}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(f"def {node.name}()")
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id.isupper()]
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path
    module = module.removesuffix(".__init__")
    shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
    return f"- `{path}` (import `{module}`): {shown or 'no top-level names'}"


_Defs = (ast.FunctionDef, ast.AsyncFunctionDef)


@functools.lru_cache(maxsize=16)
def _view_tree(module: str) -> ast.Module | None:
    """``module``'s tree for :func:`module_view`, which only reads it: every implementer's prompt shows the same
    large modules, each of a 1500-line module's views parsed it again."""
    try:
        return parse_python(module)
    except (SyntaxError, ValueError):
        return None


def module_view(module: str, symbol: str, *, keep: Iterable[str] = (), limit: int = 24_000, neighbours: int = 2) -> str:
    """``module`` as an implementer of ``symbol`` is shown it: whole while it fits ``limit`` characters.

    Past that, every function's and method's body becomes ``...`` under its decorators, signature and the
    first line of its docstring, except ``symbol``'s own, those in ``keep`` (its dependencies in this file)
    and up to ``neighbours`` definitions either side of it in its class or module (none, if the view is
    still too long); imports, constants, class statements and comments between definitions stay.  Nothing
    shorter is attempted: a module whose signatures alone pass ``limit`` is shown as far as this goes.  A
    module that does not parse is shown whole.
    """
    if len(module) <= limit:
        return module
    symbol, keep = symbol.split("#")[0], [k.split("#")[0] for k in keep]  # `Cls.x#2`: every `Cls.x` stays whole
    tree = _view_tree(module)
    if tree is None:
        return module
    lines = module.splitlines(keepends=True)
    full = {symbol, *keep}
    cuts: list[tuple[int, int, str]] = []  # 0-based [first body line, end) of each elided body, its summary line

    def scope(body: list[ast.stmt], prefix: str) -> list[ast.stmt]:
        """A scope's statements with those under if/try/with at the same level (pyjwt's ``if has_crypto:``)."""
        out: list[ast.stmt] = []
        for node in body:
            out.append(node)
            if isinstance(node, (ast.If, ast.Try, ast.With)):
                nested = [*getattr(node, "body", []), *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
                nested += [s for h in getattr(node, "handlers", []) for s in h.body]
                out += scope(nested, prefix)
        return out

    def visit(body: list[ast.stmt], prefix: str) -> None:
        nodes = scope(body, prefix)
        names = [prefix + n.name for n in nodes if isinstance(n, _Defs)]
        near = set(names[max(0, names.index(symbol) - neighbours) : names.index(symbol) + neighbours + 1]) if symbol in names else set()
        for node in nodes:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, _Defs) and prefix + node.name not in full | near:
                statements, summary = node.body, ""
                doc = ast.get_docstring(node)
                first = doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""
                if doc is not None and first and '"""' not in first and not first.endswith(("\\", '"')):
                    summary = f'"""{first}"""'  # the docstring's first line stands for it
                elif doc is not None:
                    statements = statements[1:]  # a docstring that cannot be cut cleanly stays whole
                head = statements[0] if statements else None
                # a body sharing a line with the signature (`) -> T: ...`) is left alone
                if head is not None and node.end_lineno is not None and not lines[head.lineno - 1][: head.col_offset].strip():
                    cuts.append((statements[0].lineno - 1, node.end_lineno, summary))

    visit(tree.body, "")
    out: list[str] = []
    at = 0
    for start, end, summary in sorted(cuts):
        if start < at:
            continue  # inside a body already elided
        indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
        out += [*lines[at:start], *([f"{indent}{summary}\n"] if summary else []), f"{indent}...\n"]
        at = end
    view = "".join(out + lines[at:])
    if len(view) > limit and neighbours > 0:  # the neighbours are what may go: the TODO and its dependencies stay
        return module_view(module, symbol, keep=full, limit=limit, neighbours=0)
    return view
