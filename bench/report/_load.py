"""Reading ``crdt-bench run`` results files (JSONL, one :class:`bench.TrialResult` per line).

Rows written before the runner recorded them get derived defaults, so older
files still load:

* ``run_id`` (absent or ``""``) — ``"file:<name>"``: every row of one file counts as one experiment;
* ``suite`` (absent or ``""``) — ``"unspecified"``;
* ``run`` — the row's index among the rows of the same (run_id, task, requested) in file order;
* ``test_verdicts`` and ``versions`` — empty;
* ``implement_s``, ``bound_s``, ``first_all_pass_s``, ``coupling_score``, ``cost_usd`` — None;
  ``output_tokens`` and ``input_tokens`` — 0.

Fields the report does not know are kept, opaque, in the row's extras.
Error rows (``"status": "error"``: the trial measured nothing, e.g. every
model call failed) are skipped; resuming the run runs those trials again.
A line that is not a JSON object raises :class:`MalformedLineError` naming
file and line, a row lacking a required field :class:`InvalidRowError`;
only an unparsable *last* line without its newline (a run killed mid-write;
runs resume by appending) is skipped, with a :class:`TruncatedLineWarning`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ._errors import InvalidRowError, MalformedLineError, NoResultsError, ResultsFileError, TruncatedLineWarning

__all__ = ["Row", "load_results", "is_offline"]


class Row(BaseModel):
    """One trial as the report reads it; unknown fields are kept as extras."""

    model_config = ConfigDict(extra="allow")

    task: str = Field(description="Task id.")
    requested: str = Field(description="Mode asked for: parallel, serial, auto or waves.")
    mode: str = Field(description="Mode that ran (auto resolves to one of the others).")
    seed: int = Field(description="Trial seed; every mode of a (task, run) shares it, so rows pair by (task, seed).")
    provider: str = Field(description="Model label; offline models' labels contain 'offline'.")
    agents: int = Field(description="Implementers that ran (1 for serial).")
    wall_s: float = Field(description="Agents started -> judge finished, seconds.")
    passed: bool = Field(description="Every hidden test class passed.")
    test_classes: int = Field(description="Hidden test classes.")
    test_classes_passed: int = Field(description="Hidden test classes that passed.")
    run_id: str | None = Field(default=None, description="The run's configuration fingerprint (derived from the file when absent).")
    suite: str = Field(default="unspecified", description="Suite name.")
    run: int | None = Field(default=None, description="Repetition index 0..R-1 (derived when absent).")
    implement_s: float | None = Field(default=None, description="Agents started -> last commit, seconds.")
    bound_s: float | None = Field(default=None, description="Critical-path bound of model time, seconds.")
    first_all_pass_s: float | None = Field(default=None, description="First time every TODO passed its visible checks.")
    coupling_score: float | None = Field(default=None, description="Coupling classifier's score for the task.")
    output_tokens: int = Field(default=0, description="Output tokens over all calls.")
    input_tokens: int = Field(default=0, description="Input tokens over all calls.")
    cost_usd: float | None = Field(default=None, description="Cost at list prices (None: unpriced).")
    test_verdicts: dict[str, bool] = Field(default_factory=dict, description="Hidden test class -> passed.")
    tampered: list[str] = Field(default_factory=list, description="What the code attempted against the judge (the trial counts as failed).")
    isolation: list[str] | None = Field(default=None, description="Judge sandbox containment (None in rows older than the field).")
    versions: dict[str, Any] = Field(default_factory=dict, description="Versions of the software that ran.")

    _origin: tuple[str, int] = PrivateAttr(default=("<memory>", 0))

    @property
    def origin(self) -> str:
        """``file:line`` the row was read from."""
        return f"{self._origin[0]}:{self._origin[1]}"

    @property
    def time(self) -> dict[str, float | None]:
        """The time metrics by name (for :attr:`ReportConfig.time_metric`)."""
        return {
            "wall_s": self.wall_s,
            "implement_s": self.implement_s,
            "bound_s": self.bound_s,
            "first_all_pass_s": self.first_all_pass_s,
        }


def is_offline(provider: str) -> bool:
    """Offline models (scripted, replay) say so in their label."""
    return "offline" in provider.lower()


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ResultsFileError(path, "no such results file") from exc
    except UnicodeDecodeError as exc:
        raise ResultsFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ResultsFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    return text.split("\n")


def _parse(path: Path, number: int, line: str, last: bool) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        if last:
            warnings.warn(TruncatedLineWarning(path, number, len(line)), stacklevel=3)
            return None
        raise MalformedLineError(path, number, f"not JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(value, dict):
        raise MalformedLineError(path, number, f"expected a JSON object, got {type(value).__name__}")
    return value


def _validate(path: Path, number: int, data: dict[str, Any]) -> Row:
    try:
        row = Row.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        missing = [f for f in fields if any(e["type"] == "missing" and ".".join(map(str, e["loc"])) == f for e in exc.errors())]
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if missing:
            reason = f"row lacks required field(s): {', '.join(missing)}"
        else:
            reason = f"field {where!r}: {first['msg']}"
        raise InvalidRowError(path, number, reason, fields) from exc
    row._origin = (str(path), number)
    return row


def load_results(paths: Iterable[Path | str]) -> list[Row]:
    """Every row of every file, in file order; see the module docstring for defaults and errors."""
    rows: list[Row] = []
    files = [Path(p) for p in paths]
    if not files:
        raise NoResultsError("no results files given")
    for path in files:
        lines = _read_lines(path)
        # text.split leaves "" after a final newline; the line before it is then complete.
        complete_tail = lines[-1] == ""
        counters: dict[tuple[str, str, str], int] = {}
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            last = index == len(lines) - 1 and not complete_tail
            data = _parse(path, index + 1, line, last)
            if data is None or data.get("status") == "error":
                continue  # an error row measured nothing (every model call failed); the runner reruns its trial
            row = _validate(path, index + 1, data)
            if not row.run_id:  # TrialResult's default is "": treat it as absent
                row.run_id = f"file:{path.name}"
            if not row.suite:
                row.suite = "unspecified"
            key = (row.run_id, row.task, row.requested)
            if row.run is None:
                row.run = counters.get(key, 0)
            counters[key] = counters.get(key, 0) + 1
            rows.append(row)
    if not rows:
        raise NoResultsError(f"no trial rows in {', '.join(str(p) for p in files)}")
    return rows
