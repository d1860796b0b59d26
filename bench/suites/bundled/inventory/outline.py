"""A warehouse inventory: stock and unit prices per SKU.

Outline: every method reads or writes only ``_stock`` and ``_prices``;
no method needs another one, so all can be written at once.
"""

from __future__ import annotations


class Inventory:
    """Stock quantities and unit prices keyed by SKU."""

    def __init__(self) -> None:
        self._stock: dict[str, int] = {}
        self._prices: dict[str, float] = {}

    def add(self, sku: str, quantity: int, price: float | None = None) -> None:
        """Add stock; a new SKU needs a price, a given price replaces the old one.

        >>> inv = Inventory()
        >>> inv.add("A1", 5, price=2.0)
        >>> inv.add("A1", 3)
        >>> inv._stock["A1"], inv._prices["A1"]
        (8, 2.0)
        >>> inv.add("B2", 1)
        Traceback (most recent call last):
        ...
        ValueError: new SKU 'B2' needs a price
        """
        ...

    def remove(self, sku: str, quantity: int) -> int:
        """Take stock out and return what is left.

        >>> inv = Inventory()
        >>> inv._stock["A1"], inv._prices["A1"] = 4, 1.0
        >>> inv.remove("A1", 4)
        0
        >>> inv.remove("A1", 1)
        Traceback (most recent call last):
        ...
        ValueError: only 0 of 'A1' in stock
        """
        ...

    def quantity(self, sku: str) -> int:
        """Current quantity (0 for unknown SKUs).

        >>> inv = Inventory()
        >>> inv._stock["A1"] = 7
        >>> inv.quantity("A1"), inv.quantity("nope")
        (7, 0)
        """
        ...

    def set_price(self, sku: str, price: float) -> None:
        """Change the unit price of a known SKU.

        >>> inv = Inventory()
        >>> inv._stock["A1"], inv._prices["A1"] = 1, 1.0
        >>> inv.set_price("A1", 2.5)
        >>> inv._prices["A1"]
        2.5
        >>> inv.set_price("zz", 1.0)
        Traceback (most recent call last):
        ...
        KeyError: 'zz'
        """
        ...

    def total_value(self) -> float:
        """Sum of quantity times unit price, rounded to cents.

        >>> inv = Inventory()
        >>> inv._stock.update({"A": 3, "B": 2})
        >>> inv._prices.update({"A": 0.1, "B": 1.25})
        >>> inv.total_value()
        2.8
        """
        ...

    def low_stock(self, threshold: int) -> list[str]:
        """SKUs whose quantity is below `threshold`, sorted.

        >>> inv = Inventory()
        >>> inv._stock.update({"b": 1, "a": 0, "c": 9})
        >>> inv.low_stock(2)
        ['a', 'b']
        """
        ...

    def skus(self) -> list[str]:
        """Every known SKU, sorted.

        >>> inv = Inventory()
        >>> inv._stock.update({"b": 1, "a": 0})
        >>> inv.skus()
        ['a', 'b']
        """
        ...
