"""Does a project's reference pass its own unit tests here?  (the ``projects`` suite's reference check)

For each project: its requirements installed into a cached per-project
environment (:class:`agents.judge.ProjectEnvs`), then the reference modules
with the given files judged on its unit tests by the real judge
(:meth:`agents.judge.Judge.run_project`, sandboxed, with that environment's
interpreter).  A project whose reference does not pass is *reported* with the
reason and counts (:class:`ReferenceCheck`), never silently scored: a run can
leave it out or label its figures.

:func:`project_tests` builds the judge's :class:`agents.judge.ProjectTests`
for a task's unit tests (hidden) or check tests (visible); the pipeline uses
it too.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agents.judge import Judge, ProjectEnvs, ProjectScore, ProjectTests
from crdt_ws import parse_python

from ._task import Task

_SKIP_DIRS = frozenset({"__pycache__", ".pytest_cache"})


def _collect(root: Path, relative: str, out: dict[str, bytes]) -> None:
    path = root / relative
    if path.is_file():
        out[relative] = path.read_bytes()
        return
    for file in sorted(path.rglob("*")):
        if file.is_file() and not _SKIP_DIRS.intersection(file.relative_to(root).parts) and file.suffix != ".pyc":
            out[file.relative_to(root).as_posix()] = file.read_bytes()


def fixture_dirs(task: Task) -> list[str]:
    """Root-level fixture dirs (``tests``, ``test``, ``examples``, ``example``, ``fixtures``) holding no test module.

    cookiecutter's unit tests (renamed ``unit_tests`` by the benchmark) read
    their fake repositories from the upstream ``tests/`` tree the data keeps
    beside them, and hone's check tests read ``examples/*.csv``; the suite does
    not give them (they are no source), the tests need them.
    """
    if task.source_dir is None:
        return []
    out: list[str] = []
    for name in ("tests", "test", "examples", "example", "fixtures"):
        root = task.source_dir / name
        if name in task.test_paths or name in task.check_paths or not root.is_dir():
            continue
        if not any(f.suffix == ".py" and (f.name.startswith("test_") or f.name.endswith("_test.py") or f.name == "conftest.py") for f in root.rglob("*.py")):
            out.append(name)
    return out


def project_tests(
    task: Task,
    test_paths: Sequence[str],
    *,
    kind: Literal["hidden", "visible"] = "hidden",
    python: str | None = None,
    timeout_s: float = 900.0,
    test_timeout_s: float = 60.0,
) -> ProjectTests:
    """The judge's view of ``task``'s tests at ``test_paths`` (under its source dir) plus its given files.

    Only those files, :func:`fixture_dirs` and, for check tests (``visible``), the helpers they import from
    the unit tests' tree (:func:`check_support`): never the reference modules, other tests or docs.
    """
    if task.source_dir is None or not task.modules:
        raise ValueError(f"{task.id} is not a multi-file task loaded from a data directory")
    files: dict[str, bytes] = {}
    for given in task.given:
        _collect(task.source_dir, given, files)
    for path in test_paths:
        _collect(task.source_dir, path, files)
    for name in fixture_dirs(task):
        _collect(task.source_dir, name, files)
    if kind == "visible":
        for name in check_support(task, test_paths):
            _collect(task.source_dir, name, files)
    modules = {m.path for m in task.modules}
    files = {k: v for k, v in files.items() if k not in modules}
    return ProjectTests(
        files=files, test_paths=list(test_paths), python=python, timeout_s=timeout_s, test_timeout_s=test_timeout_s, kind=kind,
        plugins=requirement_names(task.requirements),
    )  # fmt: skip


def check_support(task: Task, check_paths: Sequence[str]) -> list[str]:
    """What check tests import from the unit tests' tree: those modules, the packages above them, the tree's data.

    trailscraper's check tests import ``unit_tests.test_utils_testdata``, a helper that points at
    ``unit_tests/cloudtrail/data``; the benchmark runs them inside the whole repository, where both exist, and
    without them not one check test is collected.  No other module of that tree is given (its tests are the score).
    """
    root = task.source_dir
    if root is None:
        return []
    trees = {Path(t).parts[0] for t in task.test_paths if (root / Path(t).parts[0]).is_dir()} - {Path(c).parts[0] for c in check_paths}
    wanted: set[str] = set()
    for name in _imported(root, check_paths):
        parts = name.split(".")
        if parts[0] not in trees:
            continue
        for depth in range(1, len(parts) + 1):  # each package on the way down, then the module itself
            base = root.joinpath(*parts[:depth])
            wanted.update(f.relative_to(root).as_posix() for f in (base / "__init__.py", base.with_suffix(".py")) if f.is_file())
    used = sorted({w.split("/")[0] for w in wanted})
    data = [
        f.relative_to(root).as_posix()
        for tree in used
        for f in sorted((root / tree).rglob("*"))
        if f.is_file() and f.suffix not in (".py", ".pyc") and not _SKIP_DIRS.intersection(f.relative_to(root).parts)
    ]
    return sorted(wanted) + data


def _imported(root: Path, paths: Sequence[str]) -> set[str]:
    """Every absolute module name the Python files at ``paths`` import (``from a.b import c`` gives a.b and a.b.c)."""
    names: set[str] = set()
    for path in paths:
        files = [root / path] if (root / path).is_file() else sorted((root / path).rglob("*.py"))
        for file in files:
            try:
                tree = parse_python(file.read_text(encoding="utf-8"), str(file))
            except (SyntaxError, ValueError):  # UnicodeDecodeError is a ValueError
                continue  # the tests' own collection error says so, where it belongs
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
                    names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def requirement_names(lines: Sequence[str]) -> list[str]:
    """The distribution names of requirement lines (``wrapt<2,>=1.10`` -> ``wrapt``); options (``-r``, ``-e``) name none.

    The judge lets only these distributions' pytest plugins load: the project's environment also sees the
    host's site-packages, whose plugins are not the project's (see ``ProjectTests.plugins``).
    """
    names: list[str] = []
    for line in lines:
        found = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if found and found.group(1) not in names:
            names.append(found.group(1))
    return names


class ReferenceCheck(BaseModel):
    """Whether one project's reference passes its unit tests in its environment here."""

    task_id: str = Field(description="Project id, e.g. 'DevEval/chakin'.")
    ok: bool = Field(description="Every unit test passed or was skipped (no failure, error, tampering or collection error).")
    reason: str | None = Field(default=None, description="Why not, in one line: failed requirements, collection error, failing tests, crash.")
    env_key: str = Field(default="", description="Cache key of the environment used.")
    env_reused: bool = Field(default=False, description="The environment came from the cache.")
    env_seconds: float = Field(default=0.0, description="Time to make (or find) the environment.")
    failed_requirements: dict[str, str] = Field(default_factory=dict, description="Requirement -> why it could not be installed.")
    passed: int = Field(default=0, description="Unit tests passed.")
    failed: int = Field(default=0, description="Unit tests failed or erred.")
    skipped: int = Field(default=0, description="Unit tests skipped.")
    total: int = Field(default=0, description="Unit tests counted (the judge's total).")
    pass_rate: float = Field(default=0.0, description="The judge's pass rate (passed / total).")
    judge_seconds: float = Field(default=0.0, description="Wall time of the judgement.")
    failing: list[str] = Field(default_factory=list, description="Node ids of failing/erroring tests (first 20).")
    score: ProjectScore | None = Field(default=None, repr=False, description="The full verdict.")


def _reason(score: ProjectScore, failed_reqs: dict[str, str]) -> str | None:
    if score.tampered:
        return "tampered: " + "; ".join(score.tampered)[:300]
    if score.collection_error is not None:
        first = score.collection_error.strip().splitlines()
        return "collection error: " + " ".join(line.strip() for line in first[-3:])[:300]
    if score.crash is not None:
        return "crash: " + score.crash.splitlines()[0][:300]
    bad = [t for t in score.tests if t.outcome in ("failed", "error")]
    if score.total == 0:
        return "no unit test was collected"
    if bad:
        extra = f"; requirements not installed: {', '.join(failed_reqs)}" if failed_reqs else ""
        return f"{len(bad)} of {score.total} unit tests fail{extra}"
    return None


async def check_reference(task: Task, envs: ProjectEnvs, judge: Judge | None = None, *, timeout_s: float = 1800.0) -> ReferenceCheck:
    """Make ``task``'s environment, then judge its reference on its unit tests (see the module docstring)."""
    env = await envs.ensure(task.requirements)
    judge = judge or Judge()
    tests = project_tests(task, task.test_paths, python=env.python, timeout_s=timeout_s)
    started = time.monotonic()
    score = await judge.run_project({m.path: m.reference for m in task.modules}, tests)
    seconds = time.monotonic() - started
    reason = _reason(score, env.failed)
    return ReferenceCheck(
        task_id=task.id,
        ok=reason is None,
        reason=reason,
        env_key=env.key,
        env_reused=env.reused,
        env_seconds=env.seconds,
        failed_requirements=env.failed,
        passed=score.passed,
        failed=sum(1 for t in score.tests if t.outcome in ("failed", "error")),
        skipped=sum(1 for t in score.tests if t.outcome == "skipped"),
        total=score.total,
        pass_rate=score.pass_rate,
        judge_seconds=round(seconds, 3),
        failing=[t.nodeid for t in score.tests if t.outcome in ("failed", "error")][:20],
        score=score,
    )


async def check_references(tasks: Sequence[Task], envs: ProjectEnvs, judge: Judge | None = None, *, on_result: Callable[[ReferenceCheck], None] | None = None) -> list[ReferenceCheck]:
    """:func:`check_reference` for each task in turn (environments are shared between equal requirement sets)."""
    out: list[ReferenceCheck] = []
    for task in tasks:
        check = await check_reference(task, envs, judge)
        out.append(check)
        if on_result is not None:
            on_result(check)
    return out
