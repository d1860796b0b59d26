"""The ``crdt-bench`` console script: ``relay`` starts without loading the benchmark pipeline."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["relay"]:
        from ._relay_cmd import relay_app

        relay_app(args=sys.argv[2:], prog_name="crdt-bench relay")
    else:
        from ._cli import app

        app(prog_name="crdt-bench")
