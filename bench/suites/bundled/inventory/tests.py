# pyright: reportUndefinedVariable=false
import unittest


class TestStock(unittest.TestCase):
    def setUp(self):
        self.inv = Inventory()
        self.inv.add("apple", 10, price=0.5)
        self.inv.add("pear", 2, price=0.75)

    def test_add_accumulates(self):
        self.inv.add("apple", 5)
        self.assertEqual(self.inv.quantity("apple"), 15)

    def test_add_replaces_price(self):
        self.inv.add("apple", 1, price=0.6)
        self.assertAlmostEqual(self.inv.total_value(), 11 * 0.6 + 2 * 0.75)

    def test_add_rejects_non_positive(self):
        with self.assertRaises(ValueError):
            self.inv.add("apple", 0)

    def test_add_new_without_price(self):
        with self.assertRaises(ValueError):
            self.inv.add("kiwi", 3)
        self.assertEqual(self.inv.quantity("kiwi"), 0)

    def test_remove_returns_remaining(self):
        self.assertEqual(self.inv.remove("apple", 4), 6)

    def test_remove_too_many_keeps_stock(self):
        with self.assertRaises(ValueError):
            self.inv.remove("pear", 3)
        self.assertEqual(self.inv.quantity("pear"), 2)

    def test_remove_unknown(self):
        with self.assertRaises(KeyError):
            self.inv.remove("kiwi", 1)

    def test_sold_out_stays_known(self):
        self.inv.remove("pear", 2)
        self.assertEqual(self.inv.skus(), ["apple", "pear"])
        self.assertEqual(self.inv.low_stock(1), ["pear"])


class TestPricing(unittest.TestCase):
    def setUp(self):
        self.inv = Inventory()
        self.inv.add("a", 3, price=1.1)

    def test_total_value_rounds(self):
        self.assertEqual(self.inv.total_value(), 3.3)

    def test_empty_total(self):
        self.assertEqual(Inventory().total_value(), 0)

    def test_set_price(self):
        self.inv.set_price("a", 2)
        self.assertEqual(self.inv.total_value(), 6)

    def test_set_price_negative(self):
        with self.assertRaises(ValueError):
            self.inv.set_price("a", -1)

    def test_set_price_unknown(self):
        with self.assertRaises(KeyError):
            self.inv.set_price("b", 1)

    def test_low_stock_threshold_is_exclusive(self):
        self.inv.add("b", 5, price=1)
        self.assertEqual(self.inv.low_stock(5), ["a"])
