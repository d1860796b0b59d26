"""Evidence edges from an outline: calls in bodies, docstring mentions, doctests, shared state, type flow.

Every function here returns edges ``src -> dst`` meaning "src needs dst"; the
planner (``_plan``) combines and thresholds them.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from ._models import CouplingConfig, Edge, EdgeKind
from ._outline import Definition, Outline
from ._tokens import prose_words, stem
from ._words import specificity

_MAX_EVIDENCE = 140


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_EVIDENCE else text[: _MAX_EVIDENCE - 3] + "..."


def _edge(src: Definition, dst: Definition, kind: EdgeKind, weight: float, evidence: str) -> Edge:
    return Edge(src=src.qualname, dst=dst.qualname, kind=kind, weight=weight, evidence=_clip(evidence))


class Index:
    """Lookup tables over the selected stubs."""

    def __init__(self, outline: Outline, stubs: list[Definition]) -> None:
        self.outline = outline
        self.stubs = stubs
        self.by_qual = {d.qualname: d for d in stubs}
        self.methods_by_name: dict[str, list[Definition]] = {}
        for d in stubs:
            if d.owner is not None:
                self.methods_by_name.setdefault(d.name, []).append(d)
        self.class_params: dict[str | None, set[str]] = {}
        for d in stubs:
            self.class_params.setdefault(d.owner, set()).update(d.params)
        self.class_by_short = {q.rsplit(".", 1)[-1]: q for q in sorted(outline.classes)}

    def member(self, owner: str | None, name: str) -> Definition | None:
        return self.by_qual.get(f"{owner}.{name}") if owner else None

    def line(self, node: ast.AST) -> str:
        """The source line of ``node``, stripped (for evidence)."""
        lineno = getattr(node, "lineno", 0)
        return self.outline.lines[lineno - 1].strip() if 0 < lineno <= len(self.outline.lines) else ast.unparse(node)

    def function(self, name: str) -> Definition | None:
        d = self.by_qual.get(name)
        return d if d is not None and d.owner is None else None


# --- calls in bodies -------------------------------------------------------


def call_edges(index: Index, config: CouplingConfig) -> Iterator[Edge]:
    """References to other stubs from implemented bodies (a partial outline or a reference solution)."""
    for src in index.stubs:
        if src.is_stub:
            continue
        for node in ast.walk(src.node):
            if isinstance(node, ast.Attribute):
                yield from _attribute_ref(index, src, node, config)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                dst = index.function(name)
                if dst is None and name in index.class_by_short:
                    dst = index.member(index.class_by_short[name], "__init__")
                if dst is not None and dst is not src:
                    yield _edge(src, dst, "call", config.w_call, f"{src.qualname} line {node.lineno}: {index.line(node)}")


def _attribute_ref(index: Index, src: Definition, node: ast.Attribute, config: CouplingConfig) -> Iterator[Edge]:
    base = node.value
    owner: str | None = None
    if isinstance(base, ast.Name) and base.id in ("self", "cls"):
        owner = src.owner
    elif isinstance(base, ast.Name) and base.id in index.class_by_short:
        owner = index.class_by_short[base.id]
    text = f"{src.qualname} line {node.lineno}: {index.line(node)}"
    if owner is not None:
        dst = index.member(owner, node.attr)
        if dst is not None and dst is not src:
            yield _edge(src, dst, "call", config.w_call, text)
        return
    if isinstance(base, ast.Call) and isinstance(base.func, ast.Name) and base.func.id == "super":
        return
    for dst in index.methods_by_name.get(node.attr, []):
        if dst is src:
            continue
        weight = config.w_attr_call_common if specificity(dst.name) == "common" else config.w_attr_call_specific
        yield _edge(src, dst, "attr_call", weight, text)


# --- docstrings ------------------------------------------------------------


def split_docstring(doc: str) -> tuple[list[str], list[str]]:
    """(prose lines, example source lines): ``>>>``/``...`` lines and their output are examples."""
    prose: list[str] = []
    examples: list[str] = []
    in_output = False
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith(">>>") or (in_output and stripped.startswith("... ")):
            examples.append(stripped[4:] if len(stripped) > 3 else "")
            in_output = True
        elif in_output and stripped:
            continue  # expected output of an example
        else:
            in_output = False
            # `:param name:` labels name parameters, not methods.
            prose.append(re.sub(r":(?:param|type|raises?)\s+[\w.]+\s*:", ":", line))
    return prose, examples


_CUE_BEFORE = r"(?:call|calls|called|calling|invoke|invokes|invoked|invoking|use|uses|used|using|via|through|delegates? to|relies on|rely on|based on|with)\s+(?:the\s+)?(?:self\.)?"
_CUE_AFTER = r"\s*(?:\(\s*\)|\s+(?:method|function|helper|func)\b)"


def _patterns(dst: Definition, cls_short: str | None) -> tuple[re.Pattern[str], re.Pattern[str]]:
    return _compiled(dst.name, cls_short)


@functools.lru_cache(maxsize=4096)
def _compiled(name: str, cls_short: str | None) -> tuple[re.Pattern[str], re.Pattern[str]]:
    # Cached: a package compiles these for hundreds of stubs, and compiling dominated the cost.
    n = re.escape(name)
    explicit = [rf"\bself\.{n}\b", rf"`[^`\s]*\b{n}(?:\(\))?`", rf"'{n}(?:\(\))?'", rf'"{n}(?:\(\))?"', rf"(?<![\w.]){n}{_CUE_AFTER}"]
    if cls_short:
        explicit.append(rf"\b{re.escape(cls_short)}\.{n}\b")
    if specificity(name) != "common":
        # "later calls get the value": a cue verb before a common word proves nothing.
        explicit += [rf"(?<![\w.]){n}\s*\(", rf"\b{_CUE_BEFORE}{n}\b"]
    flags = re.IGNORECASE if len(name) > 0 and "_" not in name.strip("_") and name.islower() else 0
    word = re.compile(rf"(?<![\w.]){n}(?![\w])", flags)
    return re.compile("|".join(explicit)), word


def domain_words(index: Index, config: CouplingConfig) -> dict[str | None, set[str]]:
    """owner -> stemmed words used by more than ``domain_word_fraction`` of its (3+) stubs' prose."""
    groups: dict[str | None, list[Definition]] = {}
    for d in index.stubs:
        groups.setdefault(d.owner, []).append(d)
    out: dict[str | None, set[str]] = {}
    for owner, members in groups.items():
        df: dict[str, int] = {}
        for d in members:
            for w in set(prose_words(split_docstring(d.docstring)[0])):
                df[w] = df.get(w, 0) + 1
        n = len(members)
        out[owner] = {w for w, c in df.items() if n >= 3 and c / n > config.domain_word_fraction}
    return out


def doc_edges(index: Index, config: CouplingConfig) -> Iterator[Edge]:
    """Explicit references (doc_ref), bare-word mentions (doc_word) and doctest set-up calls (doctest)."""
    domain = domain_words(index, config)
    pats = {d.qualname: _patterns(d, d.owner.rsplit(".", 1)[-1] if d.owner else None) for d in index.stubs if not d.name.startswith("__")}
    for src in index.stubs:
        if not src.docstring:
            continue
        prose, examples = split_docstring(src.docstring)
        lowered = src.docstring.lower()
        for dst in index.stubs:
            if dst is src or dst.qualname not in pats or dst.name.lower() not in lowered:
                continue  # every pattern below needs the name itself (case-insensitively at most)
            explicit, word = pats[dst.qualname]
            hit = _first_line(prose, explicit)
            if hit is not None:
                yield _edge(src, dst, "doc_ref", config.w_doc_ref, f"docstring of {src.qualname}: {hit}")
            else:
                hit = _first_line(prose, word)
                if hit is not None:
                    spec = specificity(dst.name, src.params)
                    if dst.name in index.class_params.get(dst.owner, set()):
                        spec = "common"  # also a parameter name in the class: data vocabulary ("quantity")
                    if stem(dst.name) in domain.get(dst.owner, set()):
                        spec = "common"  # the class's domain vocabulary ("balance" in a ledger)
                    weight = {"specific": config.w_doc_word_specific, "plain": config.w_doc_word_plain, "common": config.w_doc_word_common}[spec]
                    yield _edge(src, dst, "doc_word", weight, f"docstring of {src.qualname} names '{dst.name}' ({spec} word): {hit}")
            hit = _first_line(examples, _example_call(dst.name, dst.owner is not None)) if examples else None
            if hit is not None:
                yield _edge(src, dst, "doctest", config.w_doctest, f"example in {src.qualname}: >>> {hit}")


@functools.lru_cache(maxsize=4096)
def _example_call(name: str, method: bool) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\s*\(" if method else rf"(?<![\w.]){re.escape(name)}\s*\(")


def _first_line(lines: list[str], pattern: re.Pattern[str]) -> str | None:
    for line in lines:
        if pattern.search(line):
            return line.strip()
    return None


# --- shared state ----------------------------------------------------------

_PRODUCER = re.compile(
    r"\b(?:set|sets|setting|store|stores|storing|stored|save|saves|saving|add|adds|adding|append|appends|update|updates|updating|"
    r"insert|inserts|record|records|register|registers|assign|assigns|fill|fills|populate|populates|put|puts|write|writes|"
    r"modify|modifies|initiali[sz]es?|clear|clears|remove|removes|delete|deletes|reset|resets|change|changes|increment|increments|"
    r"decrement|decrements|push|pushes|pop|pops|load|loads)\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[!?;])\s+|(?<=\.)\s+(?=[A-Z])|\n")

_MUTATORS = {"append", "extend", "add", "update", "insert", "pop", "remove", "clear", "setdefault", "discard", "popitem", "appendleft", "sort", "reverse"}


def field_roles(index: Index) -> dict[str, dict[str, str]]:
    """field -> {stub qualname: 'produces' | 'reads'} from docstrings and implemented bodies."""
    roles: dict[str, dict[str, str]] = {}
    methods = {d.name for d in index.outline.definitions.values() if d.owner}

    def note(field: str, stub: str, role: str) -> None:
        current = roles.setdefault(field, {}).get(stub)
        if current != "produces":
            roles[field][stub] = role

    for src in index.stubs:
        if src.owner is None:
            continue
        known = index.outline.fields.get(src.owner, set())
        prose, _ = split_docstring(src.docstring)
        for sentence in _SENTENCE.split("\n".join(prose)):
            names = set(re.findall(r"\bself\.(\w+)\b(?!\s*\()", sentence))
            names |= {f for f in known if specificity(f) == "specific" and re.search(rf"(?<![\w.]){re.escape(f)}\b", sentence)}
            for f in names - methods:
                note(f, src.qualname, "produces" if _PRODUCER.search(sentence) else "reads")
        if not src.is_stub:
            for node in ast.walk(src.node):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self" and node.attr not in methods:
                    note(node.attr, src.qualname, "produces" if isinstance(node.ctx, ast.Store) else "reads")
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _MUTATORS:
                    target = node.func.value
                    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
                        note(target.attr, src.qualname, "produces")
                if isinstance(node, (ast.Assign, ast.AugAssign)):
                    for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                        if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Attribute) and isinstance(t.value.value, ast.Name) and t.value.value.id == "self":
                            note(t.value.attr, src.qualname, "produces")
    return roles


def state_edges(index: Index, roles: dict[str, dict[str, str]], config: CouplingConfig) -> Iterator[Edge]:
    """A stub that only reads a field needs the stubs that produce it."""
    for field, by_stub in sorted(roles.items()):
        producers = [s for s, r in by_stub.items() if r == "produces"]
        for reader, role in by_stub.items():
            if role != "reads":
                continue
            for producer in producers:
                src, dst = index.by_qual[reader], index.by_qual[producer]
                if src.owner == dst.owner:
                    yield _edge(src, dst, "state", config.w_state, f"{producer} produces self.{field}, which {reader} reads")


# --- type flow -------------------------------------------------------------


def _doc_types(doc: str, label: str) -> str:
    return " ".join(m.group(1) for m in re.finditer(rf":{label}\b[^:\n]*:(.*)", doc))


def type_edges(index: Index, config: CouplingConfig) -> Iterator[Edge]:
    """``dst`` returns an outline-defined type that ``src`` takes as a parameter."""
    classes = set(index.class_by_short)
    if not classes:
        return

    def names(text: str) -> set[str]:
        return set(re.findall(r"\b[A-Za-z_]\w*\b", text)) & classes

    returns: dict[str, set[str]] = {}
    takes: dict[str, set[str]] = {}
    for d in index.stubs:
        ret = ast.unparse(d.node.returns) if d.node.returns is not None else ""
        returns[d.qualname] = names(ret + " " + _doc_types(d.docstring, "return") + " " + _doc_types(d.docstring, "rtype"))
        a = d.node.args
        ann = " ".join(ast.unparse(p.annotation) for p in (*a.posonlyargs, *a.args, *a.kwonlyargs) if p.annotation is not None)
        takes[d.qualname] = names(ann + " " + _doc_types(d.docstring, "param") + " " + _doc_types(d.docstring, "type"))
    for src in index.stubs:
        for dst in index.stubs:
            if dst is src:
                continue
            shared = sorted(takes[src.qualname] & returns[dst.qualname] - {(src.owner or "").rsplit(".", 1)[-1]})
            if shared:
                yield _edge(src, dst, "type_flow", config.w_type_flow, f"{dst.qualname} returns {', '.join(shared)}, which {src.qualname} takes")
