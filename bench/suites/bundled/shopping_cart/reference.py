"""A shopping cart: line items, coupons, tax and a printable receipt (money in cents)."""

from __future__ import annotations

from dataclasses import dataclass, field

COUPONS: dict[str, tuple[str, int]] = {
    "SAVE10": ("percent", 10),
    "HALF": ("percent", 50),
    "MINUS500": ("fixed", 500),
}


def money(cents: int) -> str:
    """Cents as a decimal amount."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


@dataclass
class Cart:
    """Items with unit prices and quantities, an optional coupon and a tax rate."""

    items: dict[str, list[int]] = field(default_factory=dict)
    coupon: str | None = None
    tax_rate_percent: int = 0

    def __post_init__(self) -> None:
        if self.coupon is not None and self.coupon not in COUPONS:
            raise ValueError(f"unknown coupon {self.coupon!r}")
        if not 0 <= self.tax_rate_percent <= 100:
            raise ValueError("tax rate must be between 0 and 100 percent")

    def add_item(self, sku: str, unit_price: int, quantity: int = 1) -> None:
        """Add `quantity` of a SKU at a unit price.

        >>> cart = Cart()
        >>> cart.add_item("pen", 150, 2)
        >>> cart.add_item("pen", 150)
        >>> cart.items
        {'pen': [150, 3]}
        >>> cart.add_item("pen", 99)
        Traceback (most recent call last):
        ...
        ValueError: 'pen' is already in the cart at 150
        """
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if unit_price < 0:
            raise ValueError("unit price must not be negative")
        if sku in self.items:
            if self.items[sku][0] != unit_price:
                raise ValueError(f"{sku!r} is already in the cart at {self.items[sku][0]}")
            self.items[sku][1] += quantity
        else:
            self.items[sku] = [unit_price, quantity]

    def remove_item(self, sku: str, quantity: int | None = None) -> None:
        """Remove some (or, with None, all) of a SKU.

        >>> cart = Cart(items={"pen": [150, 3]})
        >>> cart.remove_item("pen", 2)
        >>> cart.items
        {'pen': [150, 1]}
        >>> cart.remove_item("pen")
        >>> cart.items
        {}
        """
        if sku not in self.items:
            raise KeyError(sku)
        present = self.items[sku][1]
        if quantity is None:
            quantity = present
        if quantity <= 0 or quantity > present:
            raise ValueError(f"cannot remove {quantity} of {present} {sku!r}")
        if quantity == present:
            del self.items[sku]
        else:
            self.items[sku][1] -= quantity

    def line_total(self, sku: str) -> int:
        """Unit price times quantity of one SKU.

        >>> Cart(items={"pen": [150, 3]}).line_total("pen")
        450
        """
        price, quantity = self.items[sku]
        return price * quantity

    def subtotal(self) -> int:
        """Sum of all line totals.

        >>> Cart(items={"pen": [150, 3], "ink": [99, 1]}).subtotal()
        549
        """
        return sum(self.line_total(sku) for sku in self.items)

    def discount(self) -> int:
        """What the coupon takes off (never more than the subtotal).

        >>> Cart(items={"pen": [999, 1]}, coupon="SAVE10").discount()
        99
        >>> Cart(items={"pen": [300, 1]}, coupon="MINUS500").discount()
        300
        """
        if self.coupon is None:
            return 0
        kind, amount = COUPONS[self.coupon]
        subtotal = self.subtotal()
        if kind == "percent":
            return subtotal * amount // 100
        return min(amount, subtotal)

    def tax(self) -> int:
        """Sum of each line's tax, every line rounded half up to a cent.

        >>> Cart(items={"pen": [250, 1]}, tax_rate_percent=7).tax()
        18
        >>> Cart(items={"a": [50, 1], "b": [50, 1]}, tax_rate_percent=1).tax()
        2
        """
        return sum((self.line_total(sku) * self.tax_rate_percent + 50) // 100 for sku in self.items)

    def total(self) -> int:
        """Subtotal minus discount plus tax.

        >>> Cart(items={"pen": [1000, 2]}, coupon="HALF", tax_rate_percent=20).total()
        1400
        """
        return self.subtotal() - self.discount() + self.tax()

    def receipt(self) -> str:
        """A printable receipt.

        >>> cart = Cart(items={"pen": [150, 2], "ink": [99, 1]}, coupon="SAVE10", tax_rate_percent=10)
        >>> print(cart.receipt())
        ink x 1 @ 0.99 = 0.99
        pen x 2 @ 1.50 = 3.00
        subtotal 3.99
        discount -0.39
        tax 0.40
        total 4.00
        """
        lines = [
            f"{sku} x {self.items[sku][1]} @ {money(self.items[sku][0])} = {money(self.line_total(sku))}"
            for sku in sorted(self.items)
        ]
        lines.append(f"subtotal {money(self.subtotal())}")
        discount = self.discount()
        if discount:
            lines.append(f"discount {money(-discount)}")
        lines.append(f"tax {money(self.tax())}")
        lines.append(f"total {money(self.total())}")
        return "\n".join(lines)
