"""Errors of the task-suite area (the tree is drawn in ``bench.suites``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SuiteError", "TaskFormatError", "UnknownSuite", "UnknownTask", "UnparsableSource"]


class SuiteError(Exception):
    """Root of every error raised by ``bench.suites``."""


class TaskFormatError(SuiteError, ValueError):
    """A task directory breaks the format: names the file and, when known, the field."""

    def __init__(self, path: Path | str, problem: str, *, field: str | None = None) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}" + (f" [{field}]" if field else "")
        super().__init__(f"{where}: {problem}")


class UnknownSuite(SuiteError, LookupError):
    """Neither a registered suite name nor an existing directory."""


class UnknownTask(SuiteError, LookupError):
    """A suite has no task with that id."""


class UnparsableSource(SuiteError, ValueError):
    """``skeleton_of`` was given source that libcst cannot parse."""
