"""The report package's exceptions and warnings (tree drawn in :mod:`bench.report`)."""

from __future__ import annotations

from bench._errors import BenchError

from pathlib import Path

__all__ = [
    "ReportError",
    "ResultsError",
    "ResultsFileError",
    "MalformedLineError",
    "InvalidRowError",
    "NoResultsError",
    "BaselineMissingError",
    "MixedResultsError",
    "StatsError",
    "UndefinedStatisticError",
    "RenderError",
    "TruncatedLineWarning",
]


class ReportError(BenchError):
    """Root of every error raised by :mod:`bench.report`."""


class ResultsError(ReportError):
    """A results file could not be turned into rows."""


class ResultsFileError(ResultsError):
    """A results file is missing or unreadable."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path


class _LineError(ResultsError):
    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class MalformedLineError(_LineError):
    """A line that is not a JSON object (a truncated *last* line only warns)."""


class InvalidRowError(_LineError):
    """A JSON object that lacks a required field or has one of the wrong type."""

    def __init__(self, path: Path, line: int, reason: str, fields: list[str]) -> None:
        super().__init__(path, line, reason)
        self.fields = fields


class NoResultsError(ResultsError):
    """The files held no trial rows at all."""


class BaselineMissingError(ReportError):
    """No row ran the baseline mode, so nothing can be compared with it."""


class MixedResultsError(ReportError):
    """Rows of different (suite, provider, agent cap) with ``ReportConfig.mixed="refuse"``."""


class StatsError(ReportError):
    """Bad input to a statistic (empty sample, k out of range, ...)."""


class UndefinedStatisticError(StatsError):
    """The statistic exists mathematically only for other data (e.g. d_z when every difference is equal)."""


class RenderError(ReportError):
    """The report could not be written (output directory, plotting)."""


class TruncatedLineWarning(UserWarning):
    """The last line of a results file is an incomplete JSON object (a run killed mid-write); it was skipped."""

    def __init__(self, path: Path, line: int, chars: int) -> None:
        super().__init__(
            f"{path}:{line}: skipped an incomplete last line ({chars} characters, no newline): "
            "the run was probably killed while writing it"
        )
        self.path = path
        self.line = line
