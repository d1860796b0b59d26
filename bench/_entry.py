"""The ``crdt-bench`` console script: ``relay`` starts without loading the benchmark pipeline."""

from __future__ import annotations

import sys


def main() -> None:
    """Every package root that escapes a command ends as one line and its exit code (:mod:`bench._exit`)."""
    from ._exit import run_mapped

    if sys.argv[1:2] == ["relay"]:
        from ._relay_cmd import relay_app

        run_mapped(lambda: relay_app(args=sys.argv[2:], prog_name="crdt-bench relay"))
    else:
        from ._cli import app

        run_mapped(lambda: app(prog_name="crdt-bench"))
