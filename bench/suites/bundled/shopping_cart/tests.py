# pyright: reportUndefinedVariable=false
import unittest


class TestItems(unittest.TestCase):
    def test_post_init_validates(self):
        with self.assertRaises(ValueError):
            Cart(coupon="FREE")
        with self.assertRaises(ValueError):
            Cart(tax_rate_percent=101)

    def test_add_rejects_non_positive_quantity(self):
        with self.assertRaises(ValueError):
            Cart().add_item("a", 100, 0)

    def test_remove_partial_and_all(self):
        cart = Cart()
        cart.add_item("a", 100, 5)
        cart.remove_item("a", 5)
        self.assertEqual(cart.items, {})

    def test_remove_too_many(self):
        cart = Cart(items={"a": [100, 1]})
        with self.assertRaises(ValueError):
            cart.remove_item("a", 2)
        self.assertEqual(cart.items, {"a": [100, 1]})

    def test_remove_absent(self):
        with self.assertRaises(KeyError):
            Cart().remove_item("a")

    def test_line_total_absent(self):
        with self.assertRaises(KeyError):
            Cart().line_total("a")


class TestTotals(unittest.TestCase):
    def test_empty_cart(self):
        cart = Cart(coupon="MINUS500", tax_rate_percent=20)
        self.assertEqual((cart.subtotal(), cart.discount(), cart.tax(), cart.total()), (0, 0, 0, 0))

    def test_percent_discount_rounds_down(self):
        cart = Cart(items={"a": [333, 1]}, coupon="SAVE10")
        self.assertEqual(cart.discount(), 33)

    def test_fixed_discount(self):
        cart = Cart(items={"a": [400, 2]}, coupon="MINUS500")
        self.assertEqual(cart.discount(), 500)
        self.assertEqual(cart.total(), 300)

    def test_tax_half_up(self):
        self.assertEqual(Cart(items={"a": [50, 1]}, tax_rate_percent=1).tax(), 1)
        self.assertEqual(Cart(items={"a": [49, 1]}, tax_rate_percent=1).tax(), 0)

    def test_tax_ignores_discount(self):
        cart = Cart(items={"a": [1000, 1]}, coupon="HALF", tax_rate_percent=10)
        self.assertEqual((cart.tax(), cart.total()), (100, 600))

    def test_tax_rounds_per_line(self):
        cart = Cart(items={"a": [150, 1], "b": [150, 1], "c": [150, 1]}, tax_rate_percent=1)
        self.assertEqual(cart.tax(), 6)

    def test_totals_follow_changes(self):
        cart = Cart(tax_rate_percent=10)
        cart.add_item("a", 1000)
        cart.add_item("b", 250, 2)
        cart.remove_item("a")
        self.assertEqual(cart.total(), 550)


class TestReceipt(unittest.TestCase):
    def test_no_discount_line_without_coupon(self):
        cart = Cart(items={"z": [5, 3]})
        self.assertEqual(cart.receipt(), "z x 3 @ 0.05 = 0.15\nsubtotal 0.15\ntax 0.00\ntotal 0.15")

    def test_receipt_sorted(self):
        cart = Cart()
        cart.add_item("b", 100)
        cart.add_item("a", 200)
        self.assertEqual(cart.receipt().splitlines()[:2], ["a x 1 @ 2.00 = 2.00", "b x 1 @ 1.00 = 1.00"])
