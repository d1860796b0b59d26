"""The results file of ``crdt-bench run``: one JSON row per finished trial, appended as it finishes.

A run is identified by a fingerprint of everything that changes what a trial
measures (suite, model, latency, policies, seed).  Running the same command
again reads the rows already there with that fingerprint and skips their
trials, so an interrupted run continues where it stopped and more ``--runs``
extend an experiment instead of repeating it.  A line cut short by a kill
mid-write is ignored (reported, and dropped at the next append); any other unreadable line is an error
naming its line, because silently skipping it would re-run (and so
double-count) a trial.
"""

from __future__ import annotations

from bench._errors import BenchError

import hashlib
import json
import os
import platform
import subprocess
from datetime import date
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ._metrics import TrialResult

__all__ = [
    "ResumeError", "TrialKey", "append_result", "completed_trials", "default_results_path", "ensure_writable",
    "fingerprint", "versions",
]  # fmt: skip

TrialKey = tuple[str, str, int]
"""(task, requested mode, run index): what one row settles."""

_PACKAGES = ("crdt-agents", "pycrdt", "pycrdt-websocket", "anyio", "libcst", "pyright", "anthropic", "pydantic")


class ResumeError(BenchError):
    """The results file cannot be resumed from or appended to (the message names the file and line)."""


def fingerprint(config: BaseModel, *, exclude: set[str]) -> str:
    """A short stable hash of ``config`` without the fields that only select or place trials."""
    # Defaults left out: a new option added with its default keeps old runs resumable.
    data = config.model_dump(mode="json", exclude=exclude, exclude_defaults=True)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def completed_trials(path: Path | None, run_id: str) -> tuple[dict[TrialKey, TrialResult], list[str]]:
    """Trials of ``run_id`` already in ``path``, and warnings about lines that were skipped."""
    done: dict[TrialKey, TrialResult] = {}
    warnings: list[str] = []
    if path is None or not path.exists():
        return done, warnings
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResumeError(f"cannot read results file {path}: {exc}") from exc
    last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            if i == last and not line.endswith("}"):
                warnings.append(f"{path}:{i + 1}: ignoring a row cut short (a run killed mid-write); its trial runs again and the cut row is dropped")
                continue
            raise ResumeError(f"{path}:{i + 1}: not a results row ({exc}); fix or remove that line") from exc
        if row.get("run_id") == run_id and row.get("status", "ok") != "error":  # an error row measured nothing: run it again
            try:
                result = TrialResult.model_validate(row)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"])
                raise ResumeError(f"{path}:{i + 1}: not a trial row of this version ({where}: {err['msg']})") from exc
            done[(result.task, result.requested, result.run)] = result
    return done, warnings


def default_results_path(run_id: str, *, root: Path = Path("runs"), today: date | None = None) -> Path:
    """``runs/<date>-<run_id>/results.jsonl``: where a run saves when not told (the same day and config resume)."""
    return root / f"{(today or date.today()).isoformat()}-{run_id}" / "results.jsonl"


def ensure_writable(path: Path) -> None:
    """Fail now, before any trial is paid for, if rows could not be appended to ``path``."""
    if path.is_dir():
        raise ResumeError(f"results path {path} is a directory; give a file name such as {path / 'results.jsonl'}")
    made = [p for p in reversed(path.parents) if not p.exists()]
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ResumeError(f"cannot write results file {path}: {exc.strerror or exc}") from exc
    if not existed:  # leave nothing behind: the run may still fail its preflight
        path.unlink()
        for directory in reversed(made):
            directory.rmdir()


def append_result(path: Path, result: TrialResult) -> None:
    """Append one row and make it durable before the next trial starts."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _repair_cut_line(path)
        with path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(result.model_dump(mode="json")) + "\n")
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        raise ResumeError(f"cannot append to results file {path}: {exc}") from exc


def _repair_cut_line(path: Path) -> None:
    """Drop a row cut short by a kill (no final newline) so the file stays one valid row per line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("r+b") as existing:
        existing.seek(-1, os.SEEK_END)
        if existing.read(1) == b"\n":
            return  # the common case: checked without reading the file (this runs before every append)
        existing.seek(0)
        data = existing.read()
        existing.truncate(data.rfind(b"\n") + 1)


def versions() -> dict[str, str]:
    """Python, platform, the project's key packages and (in a checkout) its git commit."""
    found: dict[str, str] = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    commit = _git_commit()
    if commit:
        found["commit"] = commit
    return found


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None

