"""The demos' task: an ``Inventory`` class, its outline and known implementations, and the offline label.

Shared by the viewer's demo agents (``web._demo``) and ``crdt-bench demo``;
it lives here, in the library, so no library package needs ``bench``.
"""

from __future__ import annotations

__all__ = ["IMPLEMENTATIONS", "LABEL", "OUTLINE"]

LABEL = "offline demo writer (no model)"

OUTLINE = '''class Inventory:
    """Items in stock — quantités par article."""

    def __init__(self):
        self.items: dict[str, int] = {}

    def add(self, name: str, count: int = 1) -> None:
        """Add ``count`` of ``name``."""
        pass

    def remove(self, name: str, count: int = 1) -> bool:
        """Remove ``count``; False when there are not enough."""
        pass

    def total(self) -> int:
        """Number of items of every kind."""
        pass

    def report(self) -> str:
        """One line per item, sorted: ``name × count``."""
        pass
'''

IMPLEMENTATIONS = {
    "Inventory.add": '''    def add(self, name: str, count: int = 1) -> None:
        """Add ``count`` of ``name``."""
        self.items[name] = self.items.get(name, 0) + count
''',
    "Inventory.remove": '''    def remove(self, name: str, count: int = 1) -> bool:
        """Remove ``count``; False when there are not enough."""
        if self.items.get(name, 0) < count:
            return False
        self.items[name] -= count
        return True
''',
    "Inventory.total": '''    def total(self) -> int:
        """Number of items of every kind."""
        return sum(self.items.values())
''',
    "Inventory.report": '''    def report(self) -> str:
        """One line per item, sorted: ``name × count``."""
        return "\\n".join(f"{name} × {count}" for name, count in sorted(self.items.items()))
''',
}
