"""``python -m bench`` is ``crdt-bench``."""

from ._entry import main

main()
