"""How ``crdt-bench`` ends on an error: every package root becomes one line on stderr and its own exit code.

Kept apart from the commands so ``crdt-bench relay`` (which loads no pipeline)
maps errors the same way; the roots are imported only once an error escaped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["exit_codes", "error_line", "first_error", "run_mapped"]


def exit_codes() -> tuple[tuple[type[Exception], int], ...]:
    """(exception root, exit code) for every package's root, matched in order."""
    from agents import AgentsError
    from claim_protocol import ClaimError
    from crdt_ws import WorkspaceError
    from merge import MergeError
    from web import ViewerError

    from ._errors import BenchError

    # Typer keeps 1 (a command's own failure) and 2 (bad usage); each package root gets its own code.
    return ((BenchError, 3), (AgentsError, 4), (WorkspaceError, 5), (ClaimError, 6), (MergeError, 7), (ViewerError, 8))


def first_error(exc: ValidationError) -> str:
    """A pydantic validation error as the one line a bad option gets: ``<field path>: <message>``."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    return f"{where}: {err['msg']}"


def error_line(exc: BaseException) -> str:
    """The one line an escaped error prints: ``crdt-bench: error: <Class>: <message on one line>``."""
    message = " ".join(str(exc).split()) or "(no message)"
    return f"crdt-bench: error: {type(exc).__name__}: {message}"


def run_mapped(command: Callable[[], object]) -> None:
    """Run ``command`` (a typer app call); an escaped package root exits with its line and code, anything else propagates."""
    try:
        command()
    except Exception as exc:
        code = next((code for root, code in exit_codes() if isinstance(exc, root)), None)
        if code is None:
            raise  # not ours: a bug, and its traceback is what a report needs
        typer.echo(error_line(exc), err=True)
        raise SystemExit(code) from None
