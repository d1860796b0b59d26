# pyright: reportUndefinedVariable=false
import unittest


class TestLength(unittest.TestCase):
    def test_metric(self):
        self.assertAlmostEqual(convert_length(250, "cm", "m"), 2.5)

    def test_imperial_to_metric(self):
        self.assertAlmostEqual(convert_length(1, "mi", "km"), 1.609344)

    def test_same_unit(self):
        self.assertEqual(convert_length(7, "yd", "yd"), 7)

    def test_unknown_target_unit(self):
        with self.assertRaises(ValueError):
            convert_length(1, "m", "furlong")


class TestMass(unittest.TestCase):
    def test_tonnes(self):
        self.assertAlmostEqual(convert_mass(3, "t", "kg"), 3000)

    def test_milligrams(self):
        self.assertAlmostEqual(convert_mass(1500, "mg", "g"), 1.5)

    def test_unknown_unit(self):
        with self.assertRaises(ValueError):
            convert_mass(1, "grain", "g")


class TestTemperature(unittest.TestCase):
    def test_fahrenheit_to_celsius(self):
        self.assertAlmostEqual(convert_temperature(-40, "F", "C"), -40)

    def test_kelvin_round_trip(self):
        self.assertAlmostEqual(convert_temperature(convert_temperature(25, "C", "K"), "K", "C"), 25)

    def test_absolute_zero_is_allowed(self):
        self.assertAlmostEqual(convert_temperature(0, "K", "F"), -459.67)

    def test_below_absolute_zero(self):
        with self.assertRaises(ValueError):
            convert_temperature(-500, "F", "C")

    def test_unknown_unit(self):
        with self.assertRaises(ValueError):
            convert_temperature(1, "R", "C")


class TestParsingAndFormatting(unittest.TestCase):
    def test_kinds(self):
        self.assertEqual([unit_kind(u) for u in ("mm", "t", "F")], ["length", "mass", "temperature"])

    def test_kind_unknown(self):
        with self.assertRaises(ValueError):
            unit_kind("")

    def test_parse_with_spaces_and_sign(self):
        self.assertEqual(parse_quantity("  +7 lb "), (7.0, "lb"))

    def test_parse_rejects_missing_unit(self):
        with self.assertRaises(ValueError):
            parse_quantity("42")

    def test_format_rounding(self):
        self.assertEqual(format_quantity(0.125, "kg", digits=1), "0.1 kg")

    def test_format_default_digits(self):
        self.assertEqual(format_quantity(1.23456, "m"), "1.23 m")

    def test_format_integer_digits(self):
        self.assertEqual(format_quantity(12.6, "m", digits=0), "13 m")

    def test_format_negative_zero(self):
        self.assertEqual(format_quantity(-0.001, "C"), "0 C")
