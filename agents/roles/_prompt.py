"""What an implementer shows its model: the outline plus the code it observed.

The context of a TODO is the task spec, the outline, and the committed code
(``result``) of the TODOs that are done on this agent's replica at the moment
it asks, its predicted dependencies first; on a repair, also the judge's
feedback.  ``shown`` records
exactly which dependencies made it into the prompt, so offline providers and
the results can tell an informed implementation from a blind one.

In a multi-file task the prompt shows the TODO's own file as committed so far
(``module``: its skeleton with every done result spliced in) instead of the
bare outline, the committed code of dependencies in other files under their
paths, and ``index``: the other modules' top-level names, so imports between
modules name what exists.  ``shown``/``missing`` and the request's symbol are
then ``path::symbol`` keys (:func:`~agents.roles._package.model_symbol`).

The prompt opens with what the task's other calls send too, byte for byte: the spec
(and, single-file, the bare outline), then in a package the index a file's calls share;
``ModelRequest.cache_points`` marks where each ends, so providers can cache them.  Lines
for one TODO (its file, code shown, feedback, the instruction) come after.
"""

from __future__ import annotations

from dataclasses import dataclass

from crdt_ws import TodoEntry, TodoStatus, definition_role

from agents.models import Message, ModelRequest

from ._commit import recorded_imports
from ._package import model_symbol, module_view

__all__ = ["Context", "build_context", "SYSTEM_PROMPT"]

DRAFT_SLOTS = 8
"""Draft numbers per attempt (``build_context``'s ``draft``: k-way drafts, then spares); a draft number past
it would draw the next attempt's offline reply."""

SYSTEM_PROMPT = """You implement one function or method of a Python module that several engineers write at once.
Reply with one fenced ```python block holding the complete definition of the requested symbol (its
signature exactly as in the outline, a docstring, and the body), plus any imports it needs.
Do not change, repeat or remove other definitions: others are writing them. Call the helpers the outline
declares instead of re-implementing them. Text outside the code block is ignored."""


EDIT_INSTRUCTIONS = """Reply with the smallest edits that fix it instead of the whole definition: one block per change,
<<<<<<< SEARCH
lines copied exactly from the code above, enough to find the place
=======
the lines that replace them
>>>>>>> REPLACE
(If a rewrite is simpler, reply with the complete definition in one fenced ```python block instead.)"""


@dataclass(frozen=True)
class Context:
    """A prompt for one TODO and what it showed."""

    request: ModelRequest
    shown: tuple[str, ...]
    missing: tuple[str, ...]
    whole: ModelRequest | None = None
    """For a repair asked as edits (``request.edit_of``): the same repair asking for the whole definition, the
    fallback when the edits do not apply."""


def build_context(
    entry: TodoEntry,
    *,
    task_id: str,
    spec: str,
    outline: str,
    todos: dict[str, TodoEntry],
    max_tokens: int = 2048,
    seed: int | None = None,
    draft: int = 0,
    context_chars: int = 12_000,
    module: str | None = None,
    index: str = "",
    module_chars: int = 24_000,
    edits: bool = False,
) -> Context:
    """The request for ``entry`` given the replica's TODOs right now.

    Its dependencies' committed code comes first; then, while ``context_chars``
    allows, the rest of the file's committed code (a dependency the classifier
    missed is often among it).  ``module`` (multi-file tasks): the TODO's file as
    committed, shown in place of ``outline``, so its same-file code is not repeated,
    and bounded by ``module_chars`` (:func:`~agents.roles._package.module_view`: past it
    only the TODO, its same-file dependencies and its neighbours keep their bodies);
    ``index``: a short list of the other modules' names.  ``edits``: a repair shows the
    implementation that failed and asks for SEARCH/REPLACE edits to it (``Context.whole``
    keeps the same repair asking for the whole definition).
    """
    shown: list[str] = []
    missing: list[str] = []
    blocks: list[str] = []
    budget = context_chars

    def show(todo: TodoEntry, why: str) -> None:
        nonlocal budget
        code = (todo.result or "").rstrip()
        name = model_symbol(todo)
        if name in shown or len(code) > budget:
            return
        if module is not None and todo.file == entry.file:
            shown.append(name)  # already in the committed module the prompt shows
            return
        budget -= len(code)
        shown.append(name)
        where = f"{todo.symbol} in `{todo.file}`" if module is not None else todo.symbol
        blocks.append(f"# {where} ({why}, by {_done_by(todo)})\n{code}")

    for dep_id in entry.deps:
        dep = todos.get(dep_id)
        if dep is not None and dep.status == TodoStatus.DONE and dep.result:
            show(dep, "a dependency")
        elif dep is not None:
            missing.append(model_symbol(dep))
    for other in todos.values():
        if other.id != entry.id and other.file == entry.file and other.status == TodoStatus.DONE and other.result:
            show(other, "committed")
    # Shared prefixes first, each the same bytes in every call that shares it (cache_points end them): the
    # spec and bare outline for the whole task; in a package the spec, then the index its file's calls share.
    if module is None:
        shared = [f"Task: {spec.strip()}\n\nOutline of `{entry.file}`:\n```python\n{outline.rstrip()}\n```"]
        parts: list[str] = []
    else:
        shared = [f"Task: {spec.strip()}"]
        if index:
            shared.append(f"The package's other modules (import from them by these names):\n{index}")
        near = [d.symbol for i in entry.deps if (d := todos.get(i)) is not None and d.file == entry.file]
        view = module_view(module, entry.symbol, keep=near, limit=module_chars)
        bodies = "" if view == module else ", other bodies elided to `...`"
        parts = [f"`{entry.file}` as committed so far (stubs are still to be written{bodies}):\n```python\n{view.rstrip()}\n```"]
    if blocks:
        parts.append("Code committed so far, as this agent sees it:\n```python\n" + "\n\n".join(blocks) + "\n```")
    if missing:
        parts.append("Not implemented yet (rely on the outline's signatures and docstrings): " + ", ".join(missing))
    extra = entry.model_extra or {}
    feedback = extra.get("feedback")
    if extra.get("revising") and isinstance(feedback, str) and feedback:
        previous = (entry.result or "").rstrip()
        parts.append(f"Your previous draft was {feedback.strip()}. Revise it with that code in view:\n```python\n{previous}\n```")
    elif isinstance(feedback, str) and feedback:
        parts.append(f"Your previous implementation failed the checks:\n{feedback.strip()}\nFix it.")
    parts.append(f"Implement `{entry.symbol}`" + (f" in `{entry.file}`." if module is not None else "."))
    role = definition_role(module if module is not None else outline, entry.symbol)  # a name defined twice: which one
    if role:
        parts[-1] += f" `{entry.symbol}` is {role}: reply with that one definition, its decorators as shown."
    attempt = sum(int(v) for v in (extra.get("repairs"), extra.get("redrafts")) if isinstance(v, (int, float)))
    points = [sum(len(b) + 2 for b in shared[: i + 1]) for i in range(len(shared))]  # each block with its "\n\n"
    request = ModelRequest(
        system=SYSTEM_PROMPT,
        messages=(Message(role="user", content="\n\n".join([*shared, *parts])),),
        cache_points=tuple(points),
        max_tokens=max_tokens,
        task_id=task_id,
        symbol=model_symbol(entry),
        shown=tuple(shown),
        # Repairs and drafts must not redraw the same offline reply.
        attempt=attempt * DRAFT_SLOTS + draft,
        seed=seed,
    )
    base = _failed_code(entry) if edits and not extra.get("revising") else None  # a repair, not a re-draft
    if base is None or not isinstance(feedback, str) or not feedback:
        return Context(request=request, shown=tuple(shown), missing=tuple(missing))
    ask = f"Your implementation of `{entry.symbol}` (below) failed the checks:\n{feedback.strip()}\n```python\n{base}```\n{EDIT_INSTRUCTIONS}"
    asked = [*parts[:-2], ask]  # in place of "failed the checks ... Fix it." and "Implement ..."
    edit = request.model_copy(update={"messages": (Message(role="user", content="\n\n".join([*shared, *asked])),), "edit_of": base})
    return Context(request=edit, shown=tuple(shown), missing=tuple(missing), whole=request)


def _failed_code(entry: TodoEntry) -> str | None:
    """What a repair of ``entry`` is asked to edit: the imports its last commit brought, then its code (None: no code)."""
    code = (entry.result or "").rstrip()
    if not code.strip():
        return None
    imports = recorded_imports(entry)
    return "".join(f"{line}\n" for line in imports) + ("\n" if imports else "") + code + "\n"


def _done_by(entry: TodoEntry) -> str:
    return entry.done_by or "another agent"
