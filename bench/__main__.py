"""``python -m bench`` is ``crdt-bench``."""

from ._cli import app

app(prog_name="crdt-bench")
