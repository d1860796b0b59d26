"""Task and Suite models, and loading them from task directories (format: ``bench.suites``)."""

from __future__ import annotations

import ast
import functools
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import MultiFileTask, TaskFormatError, UnknownTask, UnparsableSource
from ._skeleton import find_function, reference_dependencies, skeleton_of, stub_symbols
from crdt_ws import parse_python

__all__ = ["Coupling", "Decision", "Suite", "Task", "TaskModule", "TaskTodo", "load_suite_dir", "load_task"]

Coupling = Literal["low", "medium", "high"]
Decision = Literal["parallel", "waves", "serial"]

TASK_FILE = "task.toml"
REFERENCE_FILE = "reference.py"
TESTS_FILE = "tests.py"
OUTLINE_FILE = "outline.py"


class TaskModule(BaseModel):
    """One source module of a multi-file task: the file agents fill in, and its reference."""

    model_config = ConfigDict(frozen=True)

    path: str = Field(description="Path in the workspace, '/'-separated and relative, e.g. 'bplustree/tree.py'.")
    outline: str = Field(repr=False, description="The skeleton agents start from (stubs where the reference has bodies).")
    reference: str = Field(repr=False, description="The reference module, byte for byte.")
    stubs: tuple[str, ...] = Field(description="Qualified names of the outline's stubs, in order ('Cls.m'; a repeated name gets '#2', '#3').")


class TaskTodo(BaseModel):
    """One TODO of a task: a stub in one file."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique in the task: the symbol for single-file tasks, '<file>::<symbol>' for multi-file ones.")
    file: str = Field(description="Workspace path of the file holding the stub.")
    symbol: str = Field(description="Qualified name of the stub in its file ('Cls.method', 'func').")


class Task(BaseModel):
    """One task: a spec, a reference solution, hidden tests and (optionally) an outline.

    A single-file task uses ``file``/``outline``/``reference``/``tests``. A
    multi-file task (``modules`` non-empty, the ``projects`` suite) holds one
    :class:`TaskModule` per source file, ``given`` files copied as they are and
    pytest paths under ``source_dir``; its single-file fields are empty and its
    single-file methods (``skeleton``, ``stubs``, ``true_dependencies``) raise
    :class:`MultiFileTask`: use ``modules`` and ``todos()``.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Task id, unique in its suite (the directory name for loaded tasks).")
    title: str = Field(description="One-line human title.")
    spec: str = Field(description="What to build, in prose (given to the outliner and implementers).")
    file: str = Field(description="File name of the module to build, e.g. 'inventory.py'.")
    outline: str | None = Field(default=None, repr=False, description="Explicit skeleton (outline.py); None derives one from the reference.")
    reference: str = Field(repr=False, description="Source of the full reference solution (one module).")
    tests: str = Field(repr=False, description="Hidden unittest source, run concatenated after the solution (never imports it).")
    test_classes: list[str] = Field(description="unittest.TestCase classes of `tests` that score the task.")
    expected_coupling: Coupling = Field(description="Coupling among the stubs as the task author judges it.")
    expected_decision: Decision = Field(description="Scheduling the author expects to be best: parallel, waves or serial.")
    source_dir: Path | None = Field(default=None, description="Directory the task was loaded from (None when built in memory).")
    modules: tuple[TaskModule, ...] = Field(default=(), repr=False, description="Multi-file tasks: every source module agents build; () for single-file tasks.")
    given: tuple[str, ...] = Field(default=(), description="Multi-file tasks: paths under source_dir copied into the workspace as they are (data, copy-as-is .py files).")
    test_paths: tuple[str, ...] = Field(default=(), description="Multi-file tasks: pytest paths under source_dir that score the task (hidden).")
    check_paths: tuple[str, ...] = Field(default=(), description="Multi-file tasks: pytest paths under source_dir of the benchmark's small check tests.")
    requirements: tuple[str, ...] = Field(default=(), description="Multi-file tasks: requirement lines (pip syntax) the tests need.")

    @property
    def is_multi_file(self) -> bool:
        """True for tasks whose workspace holds several modules (``modules``)."""
        return bool(self.modules)

    def todos(self) -> list[TaskTodo]:
        """Every TODO of the task in file and source order; ids are unique across files."""
        if self.modules:
            return [TaskTodo(id=f"{m.path}::{s}", file=m.path, symbol=s) for m in self.modules for s in m.stubs]
        return [TaskTodo(id=s, file=self.file, symbol=s) for s in self.stubs()]

    def _single_file(self, what: str) -> None:
        if self.modules:
            raise MultiFileTask(f"task {self.id!r} spans {len(self.modules)} modules: {what} is single-file only "
                "(the pipeline does not run multi-file tasks yet); use Task.modules and Task.todos()")

    @property
    def module_name(self) -> str:
        """Module name of the solution (the file stem), e.g. 'inventory'."""
        return Path(self.file).stem

    def skeleton(self) -> str:
        """The outline agents start from: ``outline`` if given, else derived from the reference."""
        self._single_file("skeleton()")
        return self.outline if self.outline is not None else _derived_skeleton(self.reference)

    def stubs(self) -> list[str]:
        """Qualified names of the skeleton's stubs in skeleton order ('Inventory.add', 'parse')."""
        return stub_symbols(self.skeleton())

    def true_dependencies(self) -> dict[str, list[str]]:
        """Stub -> the other stubs its reference implementation calls or references (ground truth)."""
        self._single_file("true_dependencies()")
        return reference_dependencies(self.reference, self.stubs())


@functools.lru_cache(maxsize=64)
def _derived_skeleton(reference: str) -> str:
    return skeleton_of(reference)


class Suite(BaseModel):
    """A named, ordered collection of tasks."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Suite name ('bundled', or the directory it came from).")
    tasks: list[Task] = Field(description="Tasks in a stable order (directory name order when loaded).")

    def task(self, task_id: str) -> Task:
        """The task with this id; ``UnknownTask`` lists the known ids."""
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks) or "none"
        raise UnknownTask(f"suite {self.name!r} has no task {task_id!r}; known: {known}")

    @property
    def ids(self) -> list[str]:
        """Task ids in suite order."""
        return [t.id for t in self.tasks]


def _read(path: Path, *, required: bool = True) -> str | None:
    if not path.is_file():
        if required:
            raise TaskFormatError(path, "missing file (a task directory needs task.toml, reference.py and tests.py)")
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise TaskFormatError(path, f"cannot read: {err}") from err


def _parse_python(path: Path, source: str) -> ast.Module:
    try:
        return parse_python(source, filename=str(path))
    except SyntaxError as err:
        raise TaskFormatError(path, f"not valid Python: line {err.lineno}: {err.msg}") from err


def _testcase_classes(tree: ast.Module) -> list[str]:
    """Top-level classes deriving from ``unittest.TestCase`` / ``TestCase`` (directly)."""
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else ""
                if name == "TestCase":
                    found.append(node.name)
                    break
    return found


def _validation_problem(path: Path, err: ValidationError) -> TaskFormatError:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return TaskFormatError(path, f"{first['msg']} (got {first.get('input')!r})", field=field)


_TOML_FIELDS = {"id", "title", "file", "spec", "expected_coupling", "expected_decision", "test_classes"}


def load_task(directory: str | Path) -> Task:
    """Load and validate one task directory; every problem is a ``TaskFormatError`` naming file and field."""
    directory = Path(directory)
    if not directory.is_dir():
        raise TaskFormatError(directory, "not a directory")
    toml_path = directory / TASK_FILE
    raw_toml = _read(toml_path)
    assert raw_toml is not None
    try:
        meta: dict[str, Any] = tomllib.loads(raw_toml)
    except tomllib.TOMLDecodeError as err:
        raise TaskFormatError(toml_path, f"invalid TOML: {err}") from err
    unknown = sorted(set(meta) - _TOML_FIELDS)
    if unknown:
        raise TaskFormatError(toml_path, f"unknown field(s); allowed: {', '.join(sorted(_TOML_FIELDS))}", field=unknown[0])
    for name in ("id", "title", "file", "spec", "expected_coupling", "expected_decision"):
        if name not in meta:
            raise TaskFormatError(toml_path, "required field missing", field=name)
        if not isinstance(meta[name], str) or not meta[name].strip():
            raise TaskFormatError(toml_path, f"must be a non-empty string (got {meta[name]!r})", field=name)
    if meta["id"] != directory.name:
        raise TaskFormatError(toml_path, f"id {meta['id']!r} differs from the directory name {directory.name!r}", field="id")
    file_name: str = meta["file"]
    if not (file_name.endswith(".py") and Path(file_name).stem.isidentifier() and "/" not in file_name):
        raise TaskFormatError(toml_path, f"must be a module file name like 'inventory.py' (got {file_name!r})", field="file")

    reference_path, tests_path, outline_path = directory / REFERENCE_FILE, directory / TESTS_FILE, directory / OUTLINE_FILE
    reference = _read(reference_path)
    tests = _read(tests_path)
    outline = _read(outline_path, required=False)
    assert reference is not None and tests is not None
    _parse_python(reference_path, reference)
    test_tree = _parse_python(tests_path, tests)
    if outline is not None:
        _parse_python(outline_path, outline)

    declared = _testcase_classes(test_tree)
    if "test_classes" in meta:
        classes = meta["test_classes"]
        if not isinstance(classes, list) or not classes or not all(isinstance(c, str) for c in classes):
            raise TaskFormatError(toml_path, "must be a non-empty list of class names", field="test_classes")
        missing = [c for c in classes if c not in declared]
        if missing:
            raise TaskFormatError(
                toml_path, f"not a TestCase class in {TESTS_FILE}: {', '.join(missing)}", field="test_classes"
            )
    else:
        classes = declared
        if not classes:
            raise TaskFormatError(tests_path, "defines no unittest.TestCase class")

    try:
        task = Task(
            id=meta["id"],
            title=meta["title"].strip(),
            spec=meta["spec"].strip() + "\n",
            file=file_name,
            outline=outline,
            reference=reference,
            tests=tests,
            test_classes=list(classes),
            expected_coupling=meta["expected_coupling"],
            expected_decision=meta["expected_decision"],
            source_dir=directory,
        )
    except ValidationError as err:
        raise _validation_problem(toml_path, err) from err
    _check_skeleton(task, outline_path if outline is not None else reference_path)
    return task


def _check_skeleton(task: Task, origin: Path) -> None:
    """Every stub has doctest examples and a reference implementation to score against."""
    try:
        skeleton = task.skeleton()
    except UnparsableSource as err:  # the ast check above makes this rare (libcst is stricter on a few forms)
        raise TaskFormatError(origin, str(err)) from err
    stubs = stub_symbols(skeleton)
    if not stubs:
        raise TaskFormatError(origin, "the skeleton has no stubs (functions whose body is only a docstring and pass)")
    tree = parse_python(skeleton)
    reference_tree = parse_python(task.reference)
    for symbol in stubs:
        func = find_function(tree, symbol)
        doc = ast.get_docstring(func) if func is not None else None
        if not doc or ">>>" not in doc:
            raise TaskFormatError(origin, "stub docstring has no >>> doctest examples (the agents' visible checks)", field=symbol)
        if find_function(reference_tree, symbol) is None:
            raise TaskFormatError(task.source_dir or origin, "stub has no implementation in reference.py", field=symbol)


def load_suite_dir(directory: str | Path, *, name: str | None = None) -> Suite:
    """Every task directory of ``directory``, in name order.

    Every subdirectory is a task (a broken one raises instead of being skipped),
    except hidden and private ones (``.git``, ``__pycache__``).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise TaskFormatError(directory, "suite directory does not exist")
    task_dirs = sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not task_dirs:
        raise TaskFormatError(directory, f"no task directories (subdirectories with {TASK_FILE})")
    tasks = [load_task(p) for p in task_dirs]
    return Suite(name=name or str(directory), tasks=tasks)
