"""The ``classeval`` suite: ClassEval's 100 class-level tasks as :class:`Task` objects.

The data is third-party and never bundled: it is read from ``data_dir`` or
``$CLASSEVAL_DATA`` (``crdt-bench data classeval`` downloads it). Each
benchmark item becomes one task:

- ``id`` ``"ClassEval_N"``; ``file`` the class name in snake case
  (``AccessGatewayFilter`` -> ``access_gateway_filter.py``);
- ``spec`` the class docstring and every method's signature and docstring;
- ``outline`` the benchmark's skeleton made importable: import statements it
  lacks are prepended, a skeleton wrapped in a string literal is unwrapped, and
  an ``__init__`` whose body is only ``pass`` (``class_constructor`` gives it)
  becomes ``return None`` so that the outliner does not turn it into a TODO.
  What was changed is listed per task in :attr:`ClassEvalSuite.adjustments`;
- ``reference`` ``solution_code`` (import statements it lacks prepended);
  ``tests`` the benchmark's test code verbatim, ``test_classes`` its list;
- ``expected_decision`` the coupling oracle's decision over the benchmark's
  ground-truth ``method_dependencies``; ``expected_coupling`` follows it
  (parallel -> low, waves -> medium, serial -> high).

Items that cannot become a task (skeletons that do not parse) and, unless
asked for, tasks the judge cannot run reliably here
(:data:`agents.judge.KNOWN_ENVIRONMENT_TASKS`) are left out *with a reason*:
:attr:`ClassEvalSuite.excluded`.
"""

from __future__ import annotations

import ast
import functools
import inspect
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import libcst as cst
from pydantic import BaseModel, Field

from agents.coupling import CouplingError, OracleClassifier
from agents.judge import KNOWN_ENVIRONMENT_TASKS
from agents.models import ConfigError
from agents.models._classeval import classeval_dir, load_json, symbol_of

from ._errors import SuiteDataMissing, TaskFormatError, UnusableTask
from ._skeleton import iter_functions
from ._task import Coupling, Decision, Suite, Task
from crdt_ws import is_stub_def, parse_cst, parse_cst_statement, parse_python

__all__ = ["ENV_VAR", "ClassEvalConfig", "ClassEvalSuite", "classeval_data_dir", "classeval_task"]

ENV_VAR = "CLASSEVAL_DATA"
DATA_FILE = "ClassEval_data.json"
_COUPLING: dict[Decision, Coupling] = {"parallel": "low", "waves": "medium", "serial": "high"}
_GIVEN_INIT = "return None  # given by the benchmark's class_constructor: nothing to set up"


class ClassEvalConfig(BaseModel):
    """Which ClassEval tasks the suite holds, and where the data is."""

    data_dir: Path | None = Field(default=None, description="ClassEval data directory (the CLI fills it from --data-dir or $CLASSEVAL_DATA); None: SuiteDataMissing.")
    include_known_issues: bool = Field(
        default=False,
        description="Also include the tasks agents.judge.KNOWN_ENVIRONMENT_TASKS lists (they cannot pass reliably here).",
    )
    exclude: list[str] = Field(default_factory=list, description="Further task ids to leave out (e.g. 'ClassEval_7').")
    only: list[str] | None = Field(default=None, description="Keep only these task ids (None keeps every usable task).")


_HINT = (
    "download it with `crdt-bench data classeval --dest DIR`, then pass that directory "
    f"(data_dir / --data-dir) or set {ENV_VAR}"
)


def classeval_data_dir(data_dir: str | Path | None = None) -> Path:
    """The ClassEval data directory (argument, else ``$CLASSEVAL_DATA``), or ``SuiteDataMissing`` saying how to get it."""
    raw = data_dir
    if not raw:
        raise SuiteDataMissing(f"no ClassEval data directory given: {_HINT}")
    try:
        return classeval_dir(raw)
    except ConfigError as err:
        raise SuiteDataMissing(f"{err}: {_HINT}") from err


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _file_name(class_name: str) -> str:
    stem = _snake(class_name)
    if not stem.isidentifier():
        stem = "task_" + re.sub(r"\W", "_", stem)
    # A module named like a stdlib one would be shadowed by (or shadow) the real one in the judge's sandbox.
    if stem in sys.stdlib_module_names:
        stem += "_class"
    return stem + ".py"


def _imports(source: str) -> set[str]:
    return {ast.unparse(n) for n in parse_python(source).body if isinstance(n, (ast.Import, ast.ImportFrom))}


def _with_imports(source: str, statements: list[str]) -> tuple[str, list[str]]:
    """``source`` with the statements it lacks (compared normalised) prepended; and those statements."""
    present = _imports(source)
    missing = [s.strip() for s in statements if s.strip() and ast.unparse(parse_python(s.strip())) not in present]
    return ("\n".join(missing) + "\n" + source if missing else source), missing


class _GiveEmptyInit(cst.CSTTransformer):
    """Gives ``__init__`` methods whose body is only placeholders a real (empty) body."""

    def __init__(self) -> None:
        super().__init__()
        self.changed: list[str] = []
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._classes.append(node.name.value)
        return True

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        self._classes.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        body = updated_node.body
        if not self._classes or updated_node.name.value != "__init__" or not isinstance(body, cst.IndentedBlock):
            return updated_node
        tree = parse_python(cst.Module(body=[updated_node.with_changes(leading_lines=())]).code)
        func = tree.body[0]
        if not isinstance(func, ast.FunctionDef) or not is_stub_def(func):
            return updated_node
        kept = [s for s in body.body[:1] if ast.get_docstring(func) is not None]
        line = parse_cst_statement(_GIVEN_INIT + "\n")
        self.changed.append(f"{'.'.join(self._classes)}.__init__")
        return updated_node.with_changes(body=body.with_changes(body=[*kept, line]))


def _outline(item: dict[str, Any]) -> tuple[str, list[str]]:
    """The importable outline of a ClassEval item and the list of changes made to its skeleton."""
    task_id = str(item["task_id"])
    skeleton = str(item["skeleton"])
    notes: list[str] = []
    try:
        tree = parse_python(skeleton)
    except SyntaxError as err:
        raise UnusableTask(task_id, f"the benchmark's skeleton does not parse: line {err.lineno}: {err.msg}") from err
    body = tree.body
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        skeleton = body[0].value.value.lstrip("\n")
        notes.append("skeleton was wrapped in a string literal: unwrapped")
        try:
            parse_python(skeleton)
        except SyntaxError as err:
            raise UnusableTask(task_id, f"the skeleton's string literal does not hold Python: line {err.lineno}: {err.msg}") from err
    skeleton, added = _with_imports(skeleton, list(item.get("import_statement") or []))
    if added:
        notes.append(f"prepended import statements the skeleton lacks: {'; '.join(added)}")
    try:
        module = parse_cst(skeleton)  # the outliner and merge read outlines with libcst
    except SyntaxError as err:
        raise UnusableTask(task_id, f"libcst cannot parse the skeleton: {err}") from err
    if any(isinstance(n, ast.FunctionDef) and n.name == "__init__" and is_stub_def(n) for n in ast.walk(parse_python(skeleton))):
        giver = _GiveEmptyInit()
        skeleton = module.visit(giver).code
        if giver.changed:
            notes.append(f"empty constructor given, not a TODO: {', '.join(giver.changed)}")
    return skeleton, notes


def _outliner_stubs(source: str) -> list[str]:
    """What ``crdt_ws.find_stubs`` (the outliner's TODO list) answers, via ``ast``: no second libcst parse.

    Unlike ``Task.stubs()`` it keeps stubbed constructors: the outliner would make them TODOs too.
    """
    return [name for name, func in iter_functions(parse_python(source).body) if is_stub_def(func)]


def _prose(doc: str | None) -> str:
    return inspect.cleandoc(doc) if doc else ""


def _spec(outline: str, class_name: str, symbols: list[str], description: str) -> str:
    tree = parse_python(outline)
    cls = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    intro = _prose(ast.get_docstring(cls) if cls is not None else None)
    if not intro:  # one skeleton describes its class in a comment instead of a docstring
        intro = "\n".join(line.strip().lstrip("#").strip().strip('"') for line in description.splitlines()).strip()
    parts = [intro, f"Implement the class `{class_name}`. Its methods:"]
    methods = {f"{class_name}.{n.name}": n for n in (cls.body if cls is not None else []) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
    for symbol in symbols:
        func = methods.get(symbol)
        if func is None:
            continue
        signature = f"{func.name}({ast.unparse(func.args)})" + (f" -> {ast.unparse(func.returns)}" if func.returns else "")
        doc = _prose(ast.get_docstring(func, clean=False))
        parts.append(f"`{signature}`" + ("\n" + "\n".join("    " + line if line else "" for line in doc.splitlines()) if doc else ""))
    return "\n\n".join(p for p in parts if p).strip() + "\n"


def _title(class_name: str, spec: str) -> str:
    first = spec.strip().split("\n", 1)[0]
    sentence = first.split(". ")[0].rstrip(".")
    title = f"{class_name}: {sentence}" if sentence and not sentence.startswith("Implement the class") else class_name
    return title if len(title) <= 100 else title[:97] + "..."


def _decision(outline: str, symbols: list[str], item: dict[str, Any]) -> Decision:
    class_name = str(item["class_name"])
    deps = {
        symbol_of(class_name, str(m["method_name"])): [
            symbol_of(class_name, str(d)) for d in (m.get("dependencies") or {}).get("method_dependencies") or []
        ]
        for m in item["methods_info"]
    }
    try:
        return OracleClassifier(deps).classify(outline, symbols).decision
    except CouplingError as err:
        raise UnusableTask(str(item["task_id"]), f"cannot plan the ground-truth dependencies: {err}") from err


def classeval_task(item: dict[str, Any]) -> tuple[Task, list[str]]:
    """One ClassEval item as a :class:`Task`, and the changes made to its skeleton; ``UnusableTask`` says why not."""
    task_id = str(item.get("task_id", "?"))
    try:
        class_name = str(item["class_name"])
        methods = [symbol_of(class_name, str(m["method_name"])) for m in item["methods_info"]]
        outline, notes = _outline(item)
        stubs = _outliner_stubs(outline)
        if stubs != methods:
            raise UnusableTask(task_id, f"the outline's stubs {stubs} are not the benchmark's methods {methods}")
        reference, added = _with_imports(str(item["solution_code"]), list(item.get("import_statement") or []))
        if added:
            notes.append(f"prepended import statements the solution lacks: {'; '.join(added)}")
        spec = _spec(outline, class_name, stubs, str(item.get("class_description") or ""))
        decision = _decision(outline, stubs, item)
        task = Task(
            id=task_id,
            title=_title(class_name, spec),
            spec=spec,
            file=_file_name(class_name),
            outline=outline,
            reference=reference,
            tests=str(item["test"]),
            test_classes=[str(c) for c in item["test_classes"]],
            expected_coupling=_COUPLING[decision],
            expected_decision=decision,
        )
    except (KeyError, TypeError) as err:
        raise UnusableTask(task_id, f"malformed benchmark item: {type(err).__name__}: {err}") from err
    except SyntaxError as err:  # solution_code or import_statement
        raise UnusableTask(task_id, f"not valid Python: line {err.lineno}: {err.msg}") from err
    return task, notes


@functools.lru_cache(maxsize=4)
def _converted(path: Path, mtime_ns: int) -> dict[str, tuple[Task, tuple[str, ...]] | UnusableTask]:
    """Every item of a data file converted (or the reason it cannot be), once per file version and process."""
    try:
        items = load_json(path)
    except ConfigError as err:
        raise TaskFormatError(path, str(err)) from err
    out: dict[str, tuple[Task, tuple[str, ...]] | UnusableTask] = {}
    with warnings.catch_warnings():
        # Benchmark code has invalid escape sequences in plain strings; parsing it must not spam.
        warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
        for index, item in enumerate(items):
            task_id = str(item.get("task_id", f"item {index}")) if isinstance(item, dict) else f"item {index}"
            try:
                task, notes = classeval_task(item)
                out[task_id] = (task, tuple(notes))
            except UnusableTask as err:
                out[task_id] = err
    return out


class ClassEvalSuite:
    """``SuiteSource`` over a ClassEval data directory (registered as ``classeval``)."""

    def __init__(self, config: ClassEvalConfig | None = None, **options: Any) -> None:
        self.config = config or ClassEvalConfig(**options)
        self._tasks: list[Task] | None = None
        self._excluded: dict[str, str] = {}
        self._adjustments: dict[str, list[str]] = {}

    @property
    def name(self) -> str:
        return "classeval"

    @property
    def data_dir(self) -> Path:
        """The resolved data directory (``SuiteDataMissing`` when there is none)."""
        return classeval_data_dir(self.config.data_dir)

    def _convert(self) -> list[Task]:
        if self._tasks is not None:
            return self._tasks
        path = self.data_dir / DATA_FILE
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as err:
            raise TaskFormatError(path, f"cannot read: {err}") from err
        converted = _converted(path, mtime)
        config = self.config
        unknown = sorted((set(config.exclude) | set(config.only or ())) - set(converted))
        if unknown:
            raise TaskFormatError(path, f"no such ClassEval task(s): {', '.join(unknown)}", field="exclude/only")
        tasks: list[Task] = []
        excluded: dict[str, str] = {}
        adjustments: dict[str, list[str]] = {}
        for task_id, result in converted.items():
            if config.only is not None and task_id not in config.only:
                continue
            if task_id in config.exclude:
                excluded[task_id] = "excluded by configuration"
            elif isinstance(result, UnusableTask):
                excluded[task_id] = result.reason
            elif task_id in KNOWN_ENVIRONMENT_TASKS and not config.include_known_issues:
                excluded[task_id] = f"cannot pass reliably here: {KNOWN_ENVIRONMENT_TASKS[task_id]}"
            else:
                task, notes = result
                tasks.append(task)
                if notes:
                    adjustments[task_id] = list(notes)
        self._tasks, self._excluded, self._adjustments = tasks, excluded, adjustments
        return tasks

    def load(self) -> Suite:
        return Suite(name=self.name, tasks=self._convert())

    @property
    def excluded(self) -> dict[str, str]:
        """Task id -> why it is not in the suite (unparsable skeleton, known environment issue, configuration)."""
        self._convert()
        return dict(self._excluded)

    @property
    def adjustments(self) -> dict[str, list[str]]:
        """Task id -> what was changed to make its skeleton an importable outline (tasks with changes only)."""
        self._convert()
        return {k: list(v) for k, v in self._adjustments.items()}
