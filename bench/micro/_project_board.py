"""A synthetic multi-file project board: N TODOs over F module files in nested packages.

The document follows issue 21's contract for multi-file tasks: one ``Y.Text`` per
module path in ``files``, TODO ids ``"<path>::<symbol>"`` with ``file`` and
``symbol`` set, ``meta.files`` listing the paths.  Each file holds one class whose
methods are the stubs; the fixed commit payload is a two-line body, so the
benchmark measures coordination, never generation.  Used by
``bench.micro.projects_scale`` and the viewer's browser tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from crdt_ws import TodoEntry, Workspace, WorkspaceError, find_span

DIRECTORIES = ("pkg", "pkg/core", "pkg/io", "pkg/util/text")
"""Packages the modules are spread over (nested, so a viewer must group them by directory)."""


def todo_id(path: str, symbol: str) -> str:
    """The TODO id of ``symbol`` in ``path`` (contract 1: ``"<path>::<symbol>"``)."""
    return f"{path}::{symbol}"


@dataclass(frozen=True)
class ProjectBoard:
    """A seeded project: every file's skeleton and every TODO."""

    files: dict[str, str]
    todos: list[TodoEntry]

    def todos_of(self, path: str) -> list[TodoEntry]:
        return [t for t in self.todos if t.file == path]


def class_name(index: int) -> str:
    return f"Mod{index:02d}"


def project_board(n_files: int, n_todos: int) -> ProjectBoard:
    """``n_todos`` stubs dealt round-robin over ``n_files`` modules (file i holds class ``Mod<i>``)."""
    if n_files < 1 or n_todos < 0:
        raise ValueError(f"need at least one file and no negative TODO count, got {n_files} files, {n_todos} TODOs")
    paths = [f"{DIRECTORIES[i % len(DIRECTORIES)]}/mod_{i:02d}.py" for i in range(n_files)]
    methods: list[list[str]] = [[] for _ in paths]
    for j in range(n_todos):
        methods[j % n_files].append(f"op_{j // n_files}")
    files: dict[str, str] = {}
    todos: list[TodoEntry] = []
    for i, path in enumerate(paths):
        cls = class_name(i)
        body = "".join(f'    def {m}(self, x):\n        """Step {m} of {cls}."""\n        pass\n\n' for m in methods[i])
        files[path] = f'"""Module {i} of the synthetic project."""\n\n\nclass {cls}:\n' + (body or "    pass\n")
        todos += [TodoEntry(id=todo_id(path, f"{cls}.{m}"), file=path, symbol=f"{cls}.{m}") for m in methods[i]]
    return ProjectBoard(files=files, todos=todos)


def seed(ws: Workspace, board: ProjectBoard) -> None:
    """Write the board into ``ws`` in one transaction (what an outliner does)."""
    with ws.transaction():
        for path, source in board.files.items():
            ws.create_file(path, source)
        for entry in board.todos:
            ws.add_todo(entry)
        ws.set_meta(files=list(board.files))


def payload(entry: TodoEntry, agent: str) -> str:
    """The fixed small implementation committed for ``entry``: its method, returning who wrote it."""
    name = entry.symbol.rsplit(".", 1)[-1]
    return f"    def {name}(self, x):\n        return {agent!r}, x\n"


def landed(source: str, entry: TodoEntry, agent: str) -> bool:
    """Whether ``source`` holds ``agent``'s payload inside ``entry``'s method (the merge keeps the stub's docstring)."""
    try:
        span = find_span(source, entry.symbol)
    except WorkspaceError:
        return False
    return f"return {agent!r}, x" in source[span.start : span.end]
