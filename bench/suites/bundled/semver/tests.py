# pyright: reportUndefinedVariable=false
import unittest


class TestParsing(unittest.TestCase):
    def test_plain(self):
        self.assertEqual(parse_version("10.20.30"), (10, 20, 30, ()))

    def test_rejects(self):
        for text in ("1.2", "1.2.3.4", "v1.2.3", "1.02.3", "1.2.3-", "1.2.3-01"):
            with self.assertRaises(ValueError, msg=text):
                parse_version(text)

    def test_alphanumeric_prerelease(self):
        self.assertEqual(parse_version("1.0.0-0a.x-y").prerelease, ("0a", "x-y"))

    def test_format_round_trip(self):
        for text in ("0.0.0", "1.2.3-alpha.10", "4.5.6-0"):
            self.assertEqual(format_version(parse_version(text)), text)


class TestPrecedence(unittest.TestCase):
    def test_spec_order(self):
        ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
                   "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1"]
        for lower, higher in zip(ordered, ordered[1:]):
            self.assertEqual(compare_versions(lower, higher), -1, (lower, higher))
            self.assertEqual(compare_versions(higher, lower), 1, (higher, lower))

    def test_equal_ignoring_build(self):
        self.assertEqual(compare_versions("1.2.3+a", "1.2.3+b"), 0)


class TestConstraints(unittest.TestCase):
    def test_bare_version_is_equality(self):
        self.assertTrue(satisfies("1.2.3", "1.2.3"))
        self.assertFalse(satisfies("1.2.4", "=1.2.3"))

    def test_strict_bounds(self):
        self.assertFalse(satisfies("2.0.0", ">1.0.0 <2.0.0"))
        self.assertTrue(satisfies("1.0.1", ">1.0.0 <=1.0.1"))

    def test_caret_zero_major(self):
        self.assertTrue(satisfies("0.2.9", "^0.2.1"))
        self.assertFalse(satisfies("0.2.0", "^0.2.1"))

    def test_caret_allows_later_minors(self):
        self.assertTrue(satisfies("1.9.3", "^1.2.0"))

    def test_tilde(self):
        self.assertFalse(satisfies("1.3.0", "~1.2.0"))

    def test_prerelease_allowed_when_asked(self):
        self.assertTrue(satisfies("1.3.0-rc.2", ">=1.3.0-rc.1"))

    def test_max_satisfying_prerelease_and_order(self):
        versions = ["1.2.0", "1.3.0-beta", "1.2.10", "1.2.9"]
        self.assertEqual(max_satisfying(versions, "~1.2.0"), "1.2.10")
        self.assertEqual(max_satisfying(versions, ">=1.3.0-alpha"), "1.3.0-beta")

    def test_max_satisfying_empty(self):
        self.assertIsNone(max_satisfying([], "^1.0.0"))


class TestBump(unittest.TestCase):
    def test_bumps(self):
        self.assertEqual(bump("1.2.3", "patch"), "1.2.4")
        self.assertEqual(bump("1.2.3-alpha", "major"), "2.0.0")
        self.assertEqual(bump("1.2.3", "minor"), "1.3.0")

    def test_bad_part(self):
        with self.assertRaises(ValueError):
            bump("1.0.0", "build")
