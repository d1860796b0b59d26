"""Tolerant splicing for a module that does not parse (mid-edit buffer, broken outline).

Only the symbol's own region (located by :func:`crdt_ws._symbols.find_span`,
which falls back to an indentation scan) is rewritten; imports are added as
lines after the leading import block and helpers next to the symbol, with name
checks done on the text.  The rendered function itself always compiles; the
rest of the module is left as broken as it was.
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import cast

import libcst as cst

from crdt_ws import SymbolNotFound, split_occurrence, check_compiles, parse_python, def_header, defines, find_def_line, find_span, next_definition, outline_parsed

from ._config import MergeConfig
from ._contract import build_function
from ._cst import attribute_uses, bound_names, code_of, free_globals, import_keys, is_stub, parse_module
from ._errors import SymbolNotInModule, UnparsableModule, UnparsableReply
from ._extract import Extraction, extract
from ._hoist import auto_imports

__all__ = ["region_splice", "region_stub", "symbol_region"]

_IMPORT_LINE = re.compile(r"^(?:import|from)\s+\S")


def _stub_from_region(region: str, indent: int) -> cst.FunctionDef:
    """The region's definition, parsed at its own indentation.

    Not dedented: that would also strip the indentation inside its multi-line
    strings (the docstring), which rendering back at ``indent`` never restores.
    A region inside a class parses as the body of a placeholder class instead.
    """
    prefix = "class _:\n" if indent else ""

    def parse(text: str) -> cst.CSTNode | None:
        module = parse_module(prefix + text, what="module")
        node: cst.CSTNode | None = module.body[0] if module.body else None
        if indent and isinstance(node, cst.ClassDef) and isinstance(node.body, cst.IndentedBlock):
            node = node.body.body[0] if node.body.body else None
        return node

    try:
        func = parse(region)
    except UnparsableModule:
        # Keep decorators, the signature and a complete docstring; the broken part is in the body.
        # Without its docstring the stub would take the reply's, dedented to column 0 by extraction,
        # and rendering never re-indents a string's lines (found by bench.faults, kind relay).
        lines = region.split("\n")
        header: list[str] = []
        for line in lines:
            header.append(line)
            if line.rstrip().endswith(":") and not line.lstrip().startswith("@"):
                break
        body = " " * (indent + 4) + "pass\n"
        docstring = _leading_docstring(lines[len(header) :])
        func = None
        if docstring:
            try:
                func = parse("\n".join(header + docstring) + "\n" + body)
            except UnparsableModule:
                func = None
        if func is None:
            func = parse("\n".join(header) + "\n" + body)
    if not isinstance(func, cst.FunctionDef):
        raise UnparsableModule("the symbol's region holds no parseable def line")
    return func


def _leading_docstring(lines: list[str]) -> list[str]:
    """The lines of a complete triple-quoted string opening the body, or [] if there is none."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return []
    opening = re.match(r"^[ \t]*[rRuU]?(\"\"\"|\'\'\')", lines[first])
    if opening is None:
        return []
    quote = opening.group(1)
    rest = lines[first][opening.end() :]
    if quote in rest:
        return lines[: first + 1]
    for i in range(first + 1, len(lines)):
        if quote in lines[i]:
            return lines[: i + 1]
    return []


def _cut_region(source: str, start: int, end: int, indent: int) -> int:
    """End the region before the next definition at the symbol's depth or shallower (see :func:`crdt_ws.next_definition`)."""
    lines = source[start:end].splitlines(keepends=True)
    def_line = next((i for i, line in enumerate(lines) if (h := def_header(line)) is not None and h[1] == "def"), None)
    if def_line is None:
        return end
    cut = next_definition(lines, def_line, indent)
    return start + sum(len(line) for line in lines[:cut])


def _render(stmts: list[cst.BaseStatement], indent: int) -> str:
    """Code of ``stmts`` at column ``indent``; string literals are not re-indented."""
    if indent == 0:
        return cst.Module(body=cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", stmts)).code
    block = cst.IndentedBlock(body=cast("list[cst.SimpleStatementLine | cst.BaseCompoundStatement]", stmts), indent=" " * indent)
    wrapper = cst.ClassDef(name=cst.Name("_"), body=block)
    code = cst.Module(body=[wrapper]).code
    return code.split("\n", 1)[1]


def _region(module_source: str, qualname: str) -> tuple[int, int, int]:
    """Start, end and indent of ``qualname``'s region (``Cls.x#2``: the second ``def x``), found textually if need be."""
    try:
        found = find_span(module_source, qualname)
        start, end, indent = found.start, found.end, found.indent
    except SymbolNotFound as exc:
        # An open bracket mid-edit can hide the rest of the file from the outline scan.
        located = find_def_line(module_source, qualname)
        if located is None:
            raise SymbolNotInModule(f"no definition of {qualname!r} in the module") from exc
        start, indent = located
        end = len(module_source)
    return start, _cut_region(module_source, start, end, indent), indent


def symbol_region(module_source: str, qualname: str) -> tuple[int, int] | None:
    """Where a commit of ``qualname`` writes in ``module_source`` (parsing or not): ``(start, end)``, None if nowhere.

    The parsed span when the module parses; otherwise the region the tolerant splice writes to (the scan's
    span cut before the next definition, or the ``def`` line found textually).  What a commit records as
    its result, and what a reset puts the stub over, must be the region the commit wrote to.
    """
    if outline_parsed(module_source):
        try:
            found = find_span(module_source, qualname)
        except SymbolNotFound:
            return None
        return found.start, found.end
    try:
        start, end, _indent = _region(module_source, qualname)
    except SymbolNotInModule:
        return None
    return start, end


def region_stub(module_source: str, qualname: str) -> cst.FunctionDef:
    """The definition in ``qualname``'s region, parsed on its own (for one under ``if``/``try`` or in broken source)."""
    start, end, indent = _region(module_source, qualname)
    return _stub_from_region(module_source[start:end], indent)


def region_splice(
    module_source: str, qualname: str, implementation: Extraction | str, config: MergeConfig | None = None
) -> tuple[str, tuple[str, ...]]:
    """Splice into an unparsable module; returns the new source and the import lines added."""
    config = config or MergeConfig()
    start, span_end, indent = _region(module_source, qualname)
    stub = _stub_from_region(module_source[start:span_end], indent)
    ext = implementation if isinstance(implementation, Extraction) else extract(implementation, qualname, config, stub=stub)
    func, _ = build_function(stub, ext.function, qualname, config)
    func = func.with_changes(leading_lines=())
    blocks: list[cst.BaseStatement] = [func]
    parts = split_occurrence(qualname)[0].split(".")
    needed = free_globals(code_of(func))
    if config.hoist_helpers and len(parts) > 1:
        uses = attribute_uses(code_of(func), {"self", "cls", parts[-2]})
        for helper in ext.class_helpers:
            names = bound_names(helper)
            if names and any(n in uses for n in names) and not any(defines(module_source, n) for n in names):
                if not (isinstance(helper, cst.FunctionDef) and is_stub(helper)):
                    blocks.append(helper.with_changes(leading_lines=(cst.EmptyLine(indent=False),)))
                    needed |= free_globals(code_of(helper))
    block = _render(blocks, indent)
    if not block.endswith("\n"):
        block += "\n"
    # Keep the region's trailing blank lines: they separate it from the next definition.
    region = module_source[start:span_end]
    trailing = region[len(region.rstrip("\n")) :]
    block = block.rstrip("\n") + (trailing if trailing else "\n")
    try:
        check_compiles(textwrap.dedent(block), f"<region {qualname}>")
    except (SyntaxError, ValueError) as exc:
        raise UnparsableReply(f"the implementation of {qualname!r} does not compile: {exc}") from exc
    source = module_source[:start] + block + module_source[span_end:]

    helpers: list[str] = []
    if config.hoist_helpers:
        for helper in ext.module_helpers:
            names = bound_names(helper)
            if names and any(n in needed for n in names) and not any(defines(source, n) for n in names):
                helpers.append(code_of(helper.with_changes(leading_lines=())).rstrip("\n") + "\n\n\n")
                needed |= free_globals(code_of(helper))
    if helpers and len(parts) > 1:
        top = find_span(source, parts[0])
        source = source[: top.start] + "".join(helpers) + source[top.start :]

    lines = source.split("\n")
    existing = {line.strip() for line in lines}
    header = _header_imports(lines)
    if header is not None:
        # Whole statements as the header holds them: a parenthesised import spans several lines.
        existing |= header[1]
    added: list[str] = []
    if config.imports != "none":
        for stmt in ext.imports:
            if config.imports == "all" or any(b in needed for b, _ in import_keys(stmt)):
                line = code_of(stmt.with_changes(leading_lines=())).strip()
                if line not in existing and _normal(line) not in existing and line not in added:
                    added.append(line)

    def bound(name: str) -> bool:
        pattern = rf"^[ \t]*(?:import|from)[ \t].*\b{re.escape(name)}\b"
        imported = re.search(pattern, source, re.M) is not None
        return imported or defines(source, name) or any(re.search(rf"\b{re.escape(name)}\b", a) for a in added)

    for _name, line in auto_imports(needed, bound, config):
        if line not in existing and line not in added:
            added.append(line)
    if added:
        at = 0
        for i, line in enumerate(lines):
            if _IMPORT_LINE.match(line):
                at = i + 1
            elif line.strip() and not line.startswith("#") and at:
                break
        if header is not None and header[0]:
            at = header[0]  # after the last import statement's last line, never inside a parenthesised one
        lines[at:at] = added
        source = "\n".join(lines)
    return source, tuple(added)


_TOP_DEF = re.compile(r"(?:async\s+def|def|class)\s|@")


def _header_imports(lines: list[str]) -> tuple[int, set[str]] | None:
    """The module's header (everything before its first top-level definition), when it parses on its own:
    the line after its last import statement and every import in normal form; None when it does not parse."""
    end = next((i for i, line in enumerate(lines) if _TOP_DEF.match(line)), len(lines))
    try:
        tree = parse_python("\n".join(lines[:end]))
    except (SyntaxError, ValueError):
        return None
    at, found = 0, set[str]()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            at = node.end_lineno or at
            found.add(ast.unparse(node))
    return at, found


def _normal(statement: str) -> str:
    """An import statement as ``ast.unparse`` writes it (one line), or itself when it does not parse."""
    try:
        return ast.unparse(parse_python(statement).body[0])
    except (SyntaxError, ValueError, IndexError):
        return statement
