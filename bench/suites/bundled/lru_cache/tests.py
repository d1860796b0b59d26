# pyright: reportUndefinedVariable=false
import unittest


class TestBasics(unittest.TestCase):
    def test_capacity_validated(self):
        with self.assertRaises(ValueError):
            LRUCache(0)

    def test_get_missing(self):
        self.assertIsNone(LRUCache(2).get("x"))

    def test_put_get(self):
        cache = LRUCache(2)
        cache.put(1, "one")
        self.assertEqual(cache.get(1), "one")
        self.assertEqual(len(cache), 1)

    def test_update_does_not_grow(self):
        cache = LRUCache(2)
        cache.put("a", 1)
        self.assertIsNone(cache.put("a", 2))
        self.assertEqual((len(cache), cache.get("a")), (1, 2))

    def test_evict_empty(self):
        self.assertIsNone(LRUCache(3)._evict())

    def test_none_value_is_stored(self):
        cache = LRUCache(2)
        cache.put("a", None)
        self.assertIn("a", cache)
        self.assertEqual(cache.get("a", "default"), None)


class TestRecency(unittest.TestCase):
    def setUp(self):
        self.cache = LRUCache(3)
        for key in "abc":
            self.cache.put(key, key * 2)

    def test_evicts_least_recent(self):
        self.assertEqual(self.cache.put("d", "dd"), "a")
        self.assertNotIn("a", self.cache)
        self.assertEqual(self.cache.keys(), ["d", "c", "b"])

    def test_get_refreshes(self):
        self.cache.get("a")
        self.assertEqual(self.cache.put("d", "dd"), "b")
        self.assertEqual(self.cache.keys(), ["d", "a", "c"])

    def test_update_refreshes(self):
        self.cache.put("a", "new")
        self.assertEqual(self.cache.keys(), ["a", "c", "b"])
        self.assertEqual(self.cache.put("e", 1), "b")

    def test_contains_does_not_refresh(self):
        self.assertIn("a", self.cache)
        self.assertEqual(self.cache.put("d", 0), "a")

    def test_missing_get_does_not_change_order(self):
        self.cache.get("zz")
        self.assertEqual(self.cache.keys(), ["c", "b", "a"])

    def test_many_evictions_keep_list_consistent(self):
        cache = LRUCache(2)
        for i in range(50):
            cache.put(i, i)
        self.assertEqual(cache.keys(), [49, 48])
        self.assertEqual(len(cache), 2)
        self.assertIs(cache._tail.prev.prev.prev, cache._head)
