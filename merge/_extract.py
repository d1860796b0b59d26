"""Find the implementation of one symbol in a raw model reply.

Replies are messy: prose around the code, markdown fences (closed or not),
an echoed instruction prompt, a whole class when one method was asked for,
methods written as free functions, indented snippets, ``\\r\\n`` line ends,
code cut off mid-statement.  Extraction tries the fenced blocks first, then the
whole text, each with a short list of repairs (dedent, skip leading prose, drop
trailing lines), locates every definition of the requested name and keeps the
best non-stub one.  Cheap ``ast`` parses drive the repair search; libcst parses
only the winner.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field, replace
from typing import Collection, Iterator

import libcst as cst

from crdt_ws import parse_python, split_occurrence

from ._config import MergeConfig
from ._cst import code_of, is_stub, parse_module, quiet, same_code
from ._errors import AmbiguousImplementation, NoImplementationFound, UnparsableReply

__all__ = ["Extraction", "extract", "extract_for"]

_FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+.-]*)[^\n]*\n(.*?)(?:^[ \t]*```|\Z)", re.S | re.M)
_CODE_START = re.compile(r"^[ \t]*(?:async[ \t]+def[ \t]|def[ \t]|class[ \t]|@\w|import[ \t]|from[ \t]+[\w.]+[ \t]+import[ \t])")
_PY_LANGS = {"", "python", "py", "python3", "py3", "pycon"}
_MAX_TRIM = 400  # lines: bound on the trailing-trim search
_MAX_STARTS = 24  # code-looking lines tried as the start of the code


@dataclass(frozen=True)
class Extraction:
    """The implementation found in a reply, with the context it came with."""

    qualname: str
    function: cst.FunctionDef
    """The definition as the model wrote it (decorators and parameters included)."""
    imports: tuple[cst.SimpleStatementLine, ...] = ()
    """Module-level import lines of the code block the implementation came from."""
    module_helpers: tuple[cst.BaseStatement, ...] = ()
    """Module-level functions, classes and assignments next to the implementation."""
    class_helpers: tuple[cst.BaseStatement, ...] = ()
    """Other members of the reply's class (methods, class attributes), or ``self`` functions."""
    repairs: tuple[str, ...] = field(default=())
    """What it took to parse the code: 'fenced', 'response_marker', 'dedent', 'align_first_line', 'skip_prose',
    'trimmed_tail', 'body_only'."""

    @property
    def code(self) -> str:
        """The implementation's source text as extracted."""
        return code_of(self.function.with_changes(leading_lines=()))


@dataclass
class _Found:
    priority: int
    order: int
    func: cst.FunctionDef
    module: cst.Module
    owner: cst.ClassDef | None
    repairs: tuple[str, ...]


def _normalize(reply: str) -> str:
    return reply.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def _chunks(reply: str, config: MergeConfig) -> Iterator[tuple[str, tuple[str, ...]]]:
    base: tuple[str, ...] = ()
    for marker in config.response_markers:
        at = reply.rfind(marker)
        if at >= 0:
            reply = reply[at + len(marker) :]
            base = ("response_marker",)
            break
    fenced = [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(reply)]
    for lang, body in fenced:
        if lang in _PY_LANGS:
            yield body, (*base, "fenced")
    # Prose with a fenced block that is not python (or no fences): scan the text itself.
    yield _FENCE.sub("\n", reply) if fenced else reply, base


def _parses(code: str) -> bool:
    try:
        with quiet():
            parse_python(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _align_first_line(code: str) -> str | None:
    """Body-only replies often continue the prompt: the first line at column 0, the rest at the method's depth."""
    lines = code.strip("\n").split("\n")
    rest = [line for line in lines[1:] if line.strip()]
    if not rest or lines[0].startswith((" ", "\t")):
        return None
    depth = min(len(line) - len(line.lstrip(" ")) for line in rest)
    if depth == 0:
        return None
    return textwrap.dedent("\n".join([" " * depth + lines[0], *lines[1:]]))


def _repair(code: str, config: MergeConfig) -> Iterator[tuple[str, tuple[str, ...]]]:
    """Parseable versions of ``code``, least repaired first."""
    if _parses(code):
        yield code, ()
        return
    dedented = textwrap.dedent(code)
    if dedented != code and _parses(dedented):
        yield dedented, ("dedent",)
        return
    hanging = _align_first_line(code)
    if hanging is not None and _parses(hanging):
        yield hanging, ("align_first_line",)
        return
    lines = code.split("\n")
    starts = [i for i, line in enumerate(lines) if _CODE_START.match(line)]
    covered = -1
    for start in starts[:_MAX_STARTS]:
        # Each code-looking line is a possible start: prose may sit between two snippets.
        if start < covered:
            continue
        raw = "\n".join(lines[start:])
        text = textwrap.dedent(raw)
        repairs = ("skip_prose",) if start else ()
        if text != raw:
            repairs = (*repairs, "dedent")
        if _parses(text):
            yield text, repairs
            return
        if not config.accept_truncated:
            continue
        text_lines = text.split("\n")
        for end in range(len(text_lines) - 1, max(0, len(text_lines) - _MAX_TRIM), -1):
            candidate = textwrap.dedent("\n".join(text_lines[:end]))
            if candidate.strip() and _parses(candidate):
                yield candidate, (*repairs, "trimmed_tail")
                covered = start + end
                break


def _defs_in(module: cst.Module, parts: list[str]) -> Iterator[tuple[int, cst.FunctionDef, cst.ClassDef | None]]:
    """Definitions of ``parts[-1]`` with a priority: 0 exact path, 1 free function, 2 other class, 3 deeper."""
    name = parts[-1]
    owner_name = parts[-2] if len(parts) > 1 else None
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            yield (0 if owner_name is None else 1), stmt, None
        elif isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            for inner in stmt.body.body:
                if isinstance(inner, cst.FunctionDef) and inner.name.value == name:
                    exact = owner_name is not None and stmt.name.value == owner_name
                    yield (0 if exact else 2), inner, stmt
                elif isinstance(inner, cst.ClassDef) and isinstance(inner.body, cst.IndentedBlock):
                    for deeper in inner.body.body:
                        if isinstance(deeper, cst.FunctionDef) and deeper.name.value == name:
                            exact = owner_name == inner.name.value and len(parts) > 2 and parts[-3] == stmt.name.value
                            yield (0 if exact else 3), deeper, inner


def _context(found: _Found, qualname: str) -> Extraction:
    if "body_only" in found.repairs:
        lines = tuple(s for s in found.module.body if isinstance(s, cst.SimpleStatementLine) and _is_import(s))
        return Extraction(qualname=qualname, function=found.func, imports=lines, repairs=found.repairs)
    imports: list[cst.SimpleStatementLine] = []
    module_helpers: list[cst.BaseStatement] = []
    class_helpers: list[cst.BaseStatement] = []
    for stmt in found.module.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            if _is_import(stmt):
                imports.append(stmt)
            elif all(isinstance(s, (cst.Assign, cst.AnnAssign)) for s in stmt.body):
                module_helpers.append(stmt)
        elif isinstance(stmt, cst.FunctionDef) and stmt is not found.func:
            params = stmt.params.params
            if found.owner is None and params and params[0].name.value in ("self", "cls"):
                class_helpers.append(stmt)  # a method written as a free function next to the target
            else:
                module_helpers.append(stmt)
        elif isinstance(stmt, cst.ClassDef) and stmt is not found.owner:
            module_helpers.append(stmt)
    if found.owner is not None and isinstance(found.owner.body, cst.IndentedBlock):
        for inner in found.owner.body.body:
            if inner is not found.func and isinstance(inner, (cst.FunctionDef, cst.SimpleStatementLine)):
                class_helpers.append(inner)
    return Extraction(
        qualname=qualname,
        function=found.func,
        imports=tuple(imports),
        module_helpers=tuple(module_helpers),
        class_helpers=tuple(class_helpers),
        repairs=found.repairs,
    )


def _as_body(module: cst.Module, stub: cst.FunctionDef) -> cst.FunctionDef | None:
    """A reply that is only the function's body (no ``def`` line), wrapped in the stub's signature."""
    stmts = [s for s in module.body if not _is_import(s)]
    if not stmts or any(isinstance(s, (cst.FunctionDef, cst.ClassDef)) for s in stmts):
        return None
    code = module.code
    names = {p.name.value for p in stub.params.params} | {"self", "cls"}
    if "return" not in code and not any(re.search(rf"\b{re.escape(n)}\b", code) for n in names):
        return None  # a usage example, not a body
    body = cst.IndentedBlock(body=[s.with_changes(leading_lines=()) if i == 0 else s for i, s in enumerate(stmts)])
    func = stub.with_changes(body=body)
    return None if is_stub(func) else func


def _is_import(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def extract(
    reply: str, qualname: str, config: MergeConfig | None = None, *, stub: cst.FunctionDef | None = None
) -> Extraction:
    """The implementation of ``qualname`` (``"Class.method"`` or ``"func"``) in a raw reply.

    ``stub`` (the definition being implemented) lets a reply that is only a
    function body be wrapped in the stub's signature (repair ``'body_only'``).
    For a name defined more than once (``"Cls.x#2"``, a property's setter) the
    stub's decorators also pick the definition: a reply holding getter and
    setter gives the setter, and one holding only the getter gives nothing.

    Raises :class:`UnparsableReply` when no code in the reply parses,
    :class:`NoImplementationFound` when the code has no non-stub definition of
    the name, :class:`AmbiguousImplementation` under ``ambiguity="error"``.
    """
    config = config or MergeConfig()
    try:
        base, nth = split_occurrence(qualname)
    except ValueError:
        raise ValueError(f"not a qualified name: {qualname!r}") from None
    parts = base.split(".")
    if not all(p.isidentifier() for p in parts):
        raise ValueError(f"not a qualified name: {qualname!r}")
    text = _normalize(reply)
    found: list[_Found] = []
    stubs = 0
    parsed_any = False
    order = 0
    bodies: list[_Found] = []
    for chunk, chunk_repairs in _chunks(text, config):
        if found and "fenced" not in chunk_repairs:
            break  # a fenced implementation beats anything scraped from the prose around it
        for code, repairs in _repair(chunk, config):
            try:
                module = parse_module(code, what="reply")
            except UnparsableReply:
                continue
            parsed_any = True
            if stub is not None and not found:
                wrapped = _as_body(module, stub)
                if wrapped is not None:
                    bodies.append(_Found(9, -1, wrapped, module, None, (*chunk_repairs, *repairs, "body_only")))
            for priority, func, owner in _defs_in(module, parts):
                if is_stub(func):
                    stubs += 1
                    continue
                found.append(_Found(priority, order, func, module, owner, (*chunk_repairs, *repairs)))
                order += 1
    wrong_role: list[str] = []
    if stub is not None and found and (nth > 1 or _accessor(stub) or any(_accessor(f.func) for f in found)):
        found, wrong_role = _by_role(found, stub)
    if not found and bodies:
        found = bodies[:1]
    if not found and wrong_role:
        raise NoImplementationFound(
            f"the reply defines {', '.join(sorted(set(wrong_role)))} of {parts[-1]!r}, not {_role_name(_accessor(stub))} asked for ({qualname!r})"
        )
    if not found:
        if not parsed_any:
            raise UnparsableReply(f"no parseable Python code in the reply for {qualname!r}")
        detail = f" (only {stubs} stub(s))" if stubs else ""
        raise NoImplementationFound(f"the reply defines no implementation of {qualname!r}{detail}")
    best = min(f.priority for f in found)
    top = [f for f in found if f.priority == best]
    distinct: list[_Found] = []
    for f in top:
        if not any(same_code(f.func, d.func) for d in distinct):
            distinct.append(f)
    if len(distinct) > 1 and config.ambiguity == "error":
        raise AmbiguousImplementation(f"{len(distinct)} different implementations of {qualname!r} in the reply")
    chosen = distinct[-1] if config.ambiguity == "last" else distinct[0]
    return _context(chosen, qualname)


_OVERLOAD = frozenset({"overload", "typing.overload", "typing_extensions.overload", "t.overload"})


def _decorators(func: cst.FunctionDef) -> tuple[str, ...]:
    return tuple("".join(code_of(d.decorator).split()) for d in func.decorators)


def _accessor(func: cst.FunctionDef | None) -> str | None:
    """What the decorators make of a definition whose name a class or module may define more than once:
    a property's ``getter``/``setter``/``deleter``, an ``overload`` signature, or None (a plain definition)."""
    if func is None:
        return None
    name = func.name.value
    for deco in _decorators(func):
        if deco in ("property", "functools.cached_property", "cached_property", f"{name}.getter"):
            return "getter"
        if deco == f"{name}.setter":
            return "setter"
        if deco == f"{name}.deleter":
            return "deleter"
        if deco in _OVERLOAD:
            return "overload"
    return None


def _role_name(role: str | None) -> str:
    return {"getter": "the getter", "setter": "the setter", "deleter": "the deleter", "overload": "an @overload signature"}.get(
        role or "", "the plain definition"
    )


def _by_role(found: list[_Found], stub: cst.FunctionDef) -> tuple[list[_Found], list[str]]:
    """The candidates that are the same kind of definition as ``stub``, re-ranked by how well they match; the roles refused.

    A name defined more than once (getter and setter, overloads and implementation) is told apart by its
    decorators: a reply's ``@property`` getter is never the implementation of the setter, whatever else the reply
    holds.  A candidate without decorators is accepted (the stub's come back at the splice), after any with the
    stub's own; among equals, one with the stub's parameter names comes first.
    """
    want = _accessor(stub)
    stub_decos = _decorators(stub)
    stub_params = code_of(stub.params)
    kept: list[tuple[int, _Found]] = []
    refused: list[str] = []
    for f in found:
        role = _accessor(f.func)
        if role is not None and role != want:
            refused.append(_role_name(role))
            continue
        rank = 0 if _decorators(f.func) == stub_decos else 2
        rank += 0 if code_of(f.func.params) == stub_params else 1
        kept.append((rank, f))
    # The role ranks within the path priority: an exact ``Cls.x`` still beats a free function of the name.
    return [replace(f, priority=f.priority * 4 + rank) for rank, f in kept], refused


def extract_for(
    reply: str, qualname: str, config: MergeConfig, *, stub: cst.FunctionDef | None, taken: Collection[str]
) -> Extraction:
    """:func:`extract`, accepting ``format`` for a requested ``__format`` / ``_format`` when no sibling owns that name.

    Models drop the underscores of private methods (``def format_line_feed``
    for ``__format_line_feed``).  ``taken`` holds the names the symbol's owner
    already binds: when the bare name is one of them, the reply implemented that
    other member, not this one (repair ``'underscores_dropped'``).
    """
    try:
        return extract(reply, qualname, config, stub=stub)
    except NoImplementationFound as exc:
        base, nth = split_occurrence(qualname)
        parts = base.split(".")
        bare = parts[-1].lstrip("_")
        if bare == parts[-1] or not bare or bare in taken:
            raise
        try:
            ext = extract(reply, ".".join([*parts[:-1], bare]) + (f"#{nth}" if nth > 1 else ""), config)
        except NoImplementationFound:
            raise exc from None
        return replace(ext, qualname=qualname, repairs=(*ext.repairs, "underscores_dropped"))
