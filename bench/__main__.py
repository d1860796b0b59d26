"""``python -m bench`` is ``crdt-bench``."""

from ._cli import main

main()
