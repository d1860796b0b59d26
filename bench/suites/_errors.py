"""Errors of the task-suite area (the tree is drawn in ``bench.suites``)."""

from __future__ import annotations

from bench._errors import BenchError

from pathlib import Path

__all__ = [
    "ChecksumMismatch",
    "DownloadError",
    "MultiFileTask",
    "SourceUnreachable",
    "SuiteDataMissing",
    "SuiteError",
    "TaskFormatError",
    "UnknownSuite",
    "UnknownTask",
    "UnparsableSource",
    "UnusableTask",
]


class SuiteError(BenchError):
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


class MultiFileTask(SuiteError, TypeError):
    """A single-file operation (``Task.skeleton()``...) was asked of a multi-file task."""


class SuiteDataMissing(SuiteError, LookupError):
    """A suite's third-party data is not available here (no data directory, package not installed)."""


class UnusableTask(SuiteError, ValueError):
    """A benchmark item that cannot become a :class:`Task` (e.g. its skeleton does not parse)."""

    def __init__(self, task_id: str, reason: str) -> None:
        self.task_id = task_id
        self.reason = reason
        super().__init__(f"{task_id}: {reason}")


class DownloadError(SuiteError):
    """Fetching a suite's data failed; nothing half-written is left at the destination."""


class SourceUnreachable(DownloadError, ConnectionError):
    """The download URL could not be reached or answered with an HTTP error."""


class ChecksumMismatch(DownloadError, ValueError):
    """A downloaded file's sha256 differs from the hash pinned in the package."""
