"""Reading the ClassEval data directory (third-party data, never copied into the repo).

The directory comes from an explicit argument or the ``CLASSEVAL_DATA``
environment variable; there is no silent default. Files are parsed once per
process (they are a few MB each).
"""

from __future__ import annotations

import functools
import json
import textwrap
from pathlib import Path
from typing import Any

from crdt_ws import parse_python

from ._errors import ConfigError

__all__ = ["classeval_dir", "load_json", "method_source", "symbol_of"]

ENV_VAR = "CLASSEVAL_DATA"


def classeval_dir(data_dir: str | Path | None = None) -> Path:
    """The ClassEval data directory, validated, or ``ConfigError`` saying how to set it."""
    raw = data_dir
    if not raw:
        raise ConfigError(
            "ClassEval data directory not set: pass data_dir=... (the CLI's --data-dir, or $CLASSEVAL_DATA read by the CLI; "
            "a checkout of ClassEval's data, e.g. ../shared/data/classeval)"
        )
    path = Path(raw).expanduser()
    if not (path / "ClassEval_data.json").is_file():
        raise ConfigError(f"{path} is not a ClassEval data directory (no ClassEval_data.json)")
    return path


@functools.lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a JSON list of tasks")
    return data  # pyright: ignore[reportUnknownVariableType]


def load_json(path: Path) -> list[dict[str, Any]]:
    """Parsed task list of a ClassEval JSON file (cached; reloaded if the file changes)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err}") from err
    return _load(path, mtime)


def symbol_of(class_name: str, method_name: str) -> str:
    """Qualified symbol of a ClassEval method: ``ClassName.method``."""
    return f"{class_name}.{method_name}"


def method_source(solution_code: str) -> str:
    """A method's reference code as a model would write it: dedented to column 0.

    ClassEval stores methods cut out of their class: the first line has lost its
    indentation, the others kept it. Re-indent the first line and dedent; fall
    back to the raw text (one task's body is indented differently) when that
    does not parse.
    """
    dedented = textwrap.dedent("    " + solution_code)
    for candidate in (dedented, solution_code):
        try:
            parse_python(candidate)  # CPython's parser: fast, and libcst accepts what it accepts
        except SyntaxError:
            continue
        return candidate
    return solution_code
