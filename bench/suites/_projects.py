"""The ``projects`` suite: real multi-file Python packages (CodeProjectEval, DevEval) as tasks.

The data is third-party and never bundled: it is read from ``data_dir`` (the
CLI passes ``--data-dir`` or ``$PROJECTS_DATA``; ``crdt-bench data projects``
downloads it). Its layout: ``<benchmark>/<project>/config.json`` per project,
``copy_py_overrides.yaml`` at the top. Each project becomes one task:

- ``id`` ``"<benchmark>/<project>"``; ``file`` the package directory (or ``.``);
- ``modules``: every source module, as the benchmark defines them — the
  ``.py`` files under ``source_code`` (CodeProjectEval) or the files of
  ``code_file_DAG`` (DevEval) — minus the ``.py`` data files of
  ``copy_py_overrides.yaml``; each holds its skeleton
  (:func:`~bench.suites._project_skeleton.project_skeleton`) and reference;
- ``given``: the copy-as-is ``.py`` files, every non-``.py`` file beside the
  source modules (data, templates, locales) and the config's
  ``required_files``; never tests, docs or caches;
- ``spec``: the PRD followed by the architecture design;
- ``test_paths`` / ``check_paths``: the unit tests (the score) and check tests;
  ``requirements`` the project's requirement lines.

A project that cannot become a task (no config, a missing or unparsable
module, no stub at all) and, unless asked for, one whose reference fails its
own unit tests here (:data:`KNOWN_REFERENCE_FAILURES`) is left out *with a
reason*: :attr:`ProjectsSuite.excluded`.
"""

from __future__ import annotations

import fnmatch
import json
import warnings
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field

from ._errors import SuiteDataMissing, UnparsableSource, UnusableTask
from ._project_skeleton import DesignIndex, project_skeleton
from ._task import Suite, Task, TaskModule

__all__ = ["ENV_VAR", "KNOWN_REFERENCE_FAILURES", "ProjectsConfig", "ProjectsSuite", "project_task", "projects_data_dir", "read_overrides"]

ENV_VAR = "PROJECTS_DATA"
CONFIG_FILE = "config.json"
OVERRIDES_FILE = "copy_py_overrides.yaml"
_NEVER_GIVEN = {"__pycache__", ".pytest_cache", ".git", ".mypy_cache", ".ruff_cache"}
_PROJECT_FILES = {CONFIG_FILE, "setup_shell_script.sh"}

KNOWN_REFERENCE_FAILURES: dict[str, str] = {
    "CodeProjectEval/simpy": (
        "the reference fails its own unit tests: unit_tests/test_resources.py uses simpy.Store, which the "
        "reference simpy/__init__.py does not export (pytest collection error, checked here)"
    ),
}
"""Projects whose reference does not pass its own unit tests here, with what was seen (left out unless asked for)."""

_HINT = (
    "download it with `crdt-bench data projects --dest DIR`, then pass that directory "
    f"(data_dir / --data-dir) or set ${ENV_VAR}"
)


class ProjectsConfig(BaseModel):
    """Which projects the suite holds, and where the data is."""

    data_dir: Path | None = Field(default=None, description="Projects data directory (holding CodeProjectEval/, DevEval/); the CLI fills it from --data-dir or $PROJECTS_DATA.")
    include_known_issues: bool = Field(
        default=False, description="Also include the projects KNOWN_REFERENCE_FAILURES lists (their reference fails its own tests)."
    )
    exclude: list[str] = Field(default_factory=list, description="Project ids to leave out (e.g. 'CodeProjectEval/flask').")
    only: list[str] | None = Field(default=None, description="Keep only these project ids (None keeps every usable project).")


def projects_data_dir(data_dir: str | Path | None) -> Path:
    """The data directory, checked; ``SuiteDataMissing`` says how to get one."""
    if data_dir is None or not str(data_dir).strip():
        raise SuiteDataMissing(f"no projects data directory given: {_HINT}")
    path = Path(data_dir).expanduser()
    if not path.is_dir():
        raise SuiteDataMissing(f"projects data directory {path} does not exist: {_HINT}")
    if not any(path.glob(f"*/*/{CONFIG_FILE}")):
        raise SuiteDataMissing(f"{path} holds no <benchmark>/<project>/{CONFIG_FILE}: not a projects data directory; {_HINT}")
    return path


def read_overrides(path: Path) -> dict[str, list[str]]:
    """``copy_py_overrides.yaml``: project id -> glob patterns of ``.py`` files copied as they are.

    The file is a flat YAML mapping of lists of strings; it is read by hand
    (that subset only) so that the suite needs no YAML library.
    """
    if not path.is_file():
        return {}
    result: dict[str, list[str]] = {}
    current: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if not line.strip():
            continue
        if not raw[0].isspace() and line.endswith(":"):
            current = line[:-1].strip().strip("\"'")
            result[current] = []
        elif line.lstrip().startswith("- ") and current is not None:
            result[current].append(line.lstrip()[2:].strip().strip("\"'"))
        else:
            raise UnusableTask(OVERRIDES_FILE, f"line {number}: not a 'project:' key or a '- \"pattern\"' item: {raw!r}")
    return result


def _inside(root: Path, relative: str, task_id: str, what: str) -> Path:
    """``root / relative`` when it stays inside the project (symlinks followed); else ``UnusableTask``.

    Every path comes from the project's own config or tree: a hostile or broken one must not pull
    files from elsewhere on the machine into the agents' spec or workspace.
    """
    if not relative.strip() or Path(relative).is_absolute():
        raise UnusableTask(task_id, f"{what} {relative!r} is not a relative path inside the project")
    target = root / relative
    if not target.resolve().is_relative_to(root.resolve()):
        raise UnusableTask(task_id, f"{what} {relative!r} points outside the project")
    return target


def _read_text(path: Path, task_id: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UnusableTask(task_id, f"cannot read {path.name}: {err}") from err


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _source_modules(root: Path, config: dict[str, Any], task_id: str) -> list[str]:
    if isinstance(config.get("source_code"), str) and config["source_code"].strip():
        package = _inside(root, config["source_code"], task_id, "source_code")
        if not package.is_dir():
            raise UnusableTask(task_id, f"source_code {config['source_code']!r} is not a directory")
        return sorted(_rel(p, root) for p in package.rglob("*.py") if not _NEVER_GIVEN & set(p.relative_to(root).parts))
    dag = config.get("code_file_DAG")
    if isinstance(dag, dict) and dag:
        names = {str(k) for k in dag} | {str(v) for deps in dag.values() if isinstance(deps, list) for v in deps}
        missing = sorted(n for n in names if not _inside(root, n, task_id, "code_file_DAG module").is_file())
        if missing:
            raise UnusableTask(task_id, f"code_file_DAG names modules that are not in the data: {', '.join(missing)}")
        return sorted(PurePosixPath(n).as_posix() for n in names)
    raise UnusableTask(task_id, f"{CONFIG_FILE} names neither source_code nor code_file_DAG")


def _given(root: Path, modules: list[str], copied_py: list[str], config: dict[str, Any], hidden: set[str], task_id: str) -> list[str]:
    """Data files agents do not write: copy-as-is .py files, non-.py files beside the modules, required files."""
    given = set(copied_py)
    module_dirs = {str(PurePosixPath(m).parent) for m in modules}

    def allowed(path: Path) -> bool:
        parts = path.relative_to(root).parts
        return not (_NEVER_GIVEN & set(parts)) and not any(_rel(path, root).startswith(h.rstrip("/") + "/") for h in hidden)

    for directory in module_dirs:
        base = root / directory
        # The project root holds config and tests: only its own files count, not its subdirectories.
        candidates = base.iterdir() if directory == "." else base.rglob("*")
        for path in candidates:
            if path.is_file() and allowed(path) and not (directory == "." and path.name in _PROJECT_FILES):
                # A .py file beside the modules that the benchmark does not ask for (a DevEval package's
                # __init__.py outside its code_file_DAG) is part of the package: given as it is.
                if path.suffix != ".py" or path.parent == base:
                    given.add(_rel(path, root))
    for required in config.get("required_files") or []:
        if Path(str(required)).is_absolute() or ".." in Path(str(required)).parts:
            raise UnusableTask(task_id, f"required_files {required!r} points outside the project")
        for target in sorted(root.glob(str(required))) if any(c in str(required) for c in "*?[") else [root / str(required)]:
            if target.is_file():
                given.add(_rel(target, root))
            elif target.is_dir():
                given.update(_rel(p, root) for p in target.rglob("*") if p.is_file() and allowed(p))
    return sorted(given - set(modules))


def _inside_all(root: Path, paths: list[str], task_id: str) -> list[str]:
    for path in paths:
        _inside(root, path, task_id, "given file")
    return paths


def _requirements(root: Path, config: dict[str, Any], task_id: str) -> list[str]:
    name = config.get("dependencies")
    if not isinstance(name, str) or not name.strip() or not _inside(root, name, task_id, "dependencies").is_file():
        return []
    lines = (root / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _doc(root: Path, config: dict[str, Any], key: str, task_id: str) -> str:
    name = config.get(key)
    if not isinstance(name, str) or not _inside(root, name, task_id, key).is_file():
        raise UnusableTask(task_id, f"{CONFIG_FILE} {key!r} names no file ({name!r})")
    return _read_text(root / name, task_id)


def project_task(root: Path, task_id: str, overrides: list[str]) -> tuple[Task, dict[str, Any]]:
    """One project directory as a multi-file :class:`Task`, and facts about it; ``UnusableTask`` says why not."""
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise UnusableTask(task_id, f"no {CONFIG_FILE}")
    try:
        config = json.loads(_read_text(config_path, task_id))
    except json.JSONDecodeError as err:
        raise UnusableTask(task_id, f"{CONFIG_FILE} is not JSON: line {err.lineno}: {err.msg}") from err
    if not isinstance(config, dict):
        raise UnusableTask(task_id, f"{CONFIG_FILE} is not a JSON object")
    prd = _doc(root, config, "PRD", task_id)
    design_text = _doc(root, config, "architecture_design", task_id)
    design = DesignIndex(design_text)
    all_py = _source_modules(root, config, task_id)
    copied = [m for m in all_py if any(fnmatch.fnmatch(m, pattern) for pattern in overrides)]
    modules: list[TaskModule] = []
    described = 0
    for path in (m for m in all_py if m not in copied):
        reference = _read_text(root / path, task_id)
        try:
            skeleton = project_skeleton(reference, path, design)
        except UnparsableSource as err:
            raise UnusableTask(task_id, str(err)) from err
        described += len(skeleton.described)
        modules.append(TaskModule(path=path, outline=skeleton.outline, reference=reference, stubs=skeleton.stubs))
    if not any(m.stubs for m in modules):
        raise UnusableTask(task_id, "no function to implement: every module is data or declarations")
    tests = [str(config[k]) for k in ("unit_tests",) if isinstance(config.get(k), str) and (root / config[k]).exists()]
    if not tests:
        raise UnusableTask(task_id, f"{CONFIG_FILE} 'unit_tests' names nothing in the data: nothing would score the task")
    checks = [str(config["check_tests"])] if isinstance(config.get("check_tests"), str) and (root / config["check_tests"]).exists() else []
    for path in (*all_py, *tests, *checks):
        _inside(root, path, task_id, "path")
    hidden = {str(config[k]) for k in ("unit_tests", "check_tests", "acceptance_tests") if isinstance(config.get(k), str)}
    hidden.add("docs")
    package = config.get("source_code") if isinstance(config.get("source_code"), str) else None
    spec = f"# Product requirements\n\n{prd.strip()}\n\n# Architecture design\n\n{design_text.strip()}\n"
    task = Task(
        id=task_id,
        title=f"{task_id}: {len(modules)} modules, {sum(len(m.stubs) for m in modules)} functions",
        spec=spec,
        file=package or ".",
        reference="",
        tests="",
        test_classes=[],
        expected_coupling="high" if len(modules) > 1 else "medium",
        expected_decision="waves",
        source_dir=root,
        modules=tuple(modules),
        given=tuple(_inside_all(root, _given(root, [m.path for m in modules], copied, config, hidden, task_id), task_id)),
        test_paths=tuple(tests),
        check_paths=tuple(checks),
        requirements=tuple(_requirements(root, config, task_id)),
    )
    return task, {"described": described, "copied_py": copied}


class ProjectsSuite:
    """``SuiteSource`` over a projects data directory (registered as ``projects``)."""

    def __init__(self, config: ProjectsConfig | None = None, **options: Any) -> None:
        self.config = config or ProjectsConfig(**options)
        self._tasks: list[Task] | None = None
        self._excluded: dict[str, str] = {}
        self._facts: dict[str, dict[str, Any]] = {}

    @property
    def name(self) -> str:
        return "projects"

    @property
    def data_dir(self) -> Path:
        """The resolved data directory (``SuiteDataMissing`` when there is none)."""
        return projects_data_dir(self.config.data_dir)

    def _convert(self) -> list[Task]:
        if self._tasks is not None:
            return self._tasks
        root = self.data_dir
        overrides = read_overrides(root / OVERRIDES_FILE)
        found = sorted(_rel(p.parent, root) for p in root.glob(f"*/*/{CONFIG_FILE}"))
        unknown = sorted((set(self.config.exclude) | set(self.config.only or ())) - set(found))
        if unknown:
            raise UnusableTask(", ".join(unknown), f"no such project in {root}; known: {', '.join(found)}")
        tasks: list[Task] = []
        for task_id in found:
            if self.config.only is not None and task_id not in self.config.only:
                continue
            if task_id in self.config.exclude:
                self._excluded[task_id] = "excluded by configuration"
                continue
            if task_id in KNOWN_REFERENCE_FAILURES and not self.config.include_known_issues:
                self._excluded[task_id] = KNOWN_REFERENCE_FAILURES[task_id]
                continue
            try:
                with warnings.catch_warnings():
                    # Project code has invalid escape sequences in plain strings; parsing it must not spam.
                    warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
                    task, facts = project_task(root / task_id, task_id, overrides.get(task_id, []))
            except UnusableTask as err:
                self._excluded[task_id] = err.reason
                continue
            tasks.append(task)
            self._facts[task_id] = facts
        self._tasks = tasks
        return tasks

    def load(self) -> Suite:
        return Suite(name=self.name, tasks=self._convert())

    @property
    def excluded(self) -> dict[str, str]:
        """Project id -> why it is not in the suite."""
        self._convert()
        return dict(self._excluded)

    @property
    def described(self) -> dict[str, int]:
        """Project id -> stubs whose docstring comes from the architecture design (the reference has none)."""
        self._convert()
        return {k: int(v["described"]) for k, v in self._facts.items()}
