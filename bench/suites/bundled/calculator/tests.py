# pyright: reportUndefinedVariable=false
import unittest


class TestTokenize(unittest.TestCase):
    def test_kinds(self):
        tokens = Calculator().tokenize("(a1+.5)")
        self.assertEqual([t.kind for t in tokens], ["lparen", "name", "op", "num", "rparen"])

    def test_empty(self):
        self.assertEqual(Calculator().tokenize("   "), [])

    def test_bad_character_position(self):
        with self.assertRaises(CalcError) as ctx:
            Calculator().tokenize("12 + #")
        self.assertIn("5", str(ctx.exception))


class TestPostfix(unittest.TestCase):
    def test_left_associative(self):
        self.assertEqual([t.text for t in Calculator().to_postfix("8 - 3 - 2")], ["8", "3", "-", "2", "-"])

    def test_parentheses(self):
        self.assertEqual([t.text for t in Calculator().to_postfix("(1 + 2) * 3")], ["1", "2", "+", "3", "*"])

    def test_unbalanced(self):
        for text in ("(1 + 2", "1 + 2)"):
            with self.assertRaises(CalcError):
                Calculator().to_postfix(text)


class TestEvaluate(unittest.TestCase):
    def test_precedence(self):
        self.assertEqual(Calculator().evaluate("2 + 3 * 4 ^ 2"), 50)

    def test_subtraction_left_associative(self):
        self.assertEqual(Calculator().evaluate("10 - 4 - 3"), 3)

    def test_power_right_associative(self):
        self.assertEqual(Calculator().evaluate("2 ^ 2 ^ 3"), 256)

    def test_unary_minus(self):
        calc = Calculator()
        self.assertEqual(calc.evaluate("-3 + 5"), 2)
        self.assertEqual(calc.evaluate("4 * -2"), -8)
        self.assertEqual(calc.evaluate("-(1 + 2)"), -3)

    def test_floats(self):
        self.assertAlmostEqual(Calculator().evaluate("1.5 * 4 / 3"), 2.0)

    def test_division_by_zero(self):
        with self.assertRaises(CalcError):
            Calculator().evaluate("1 / (2 - 2)")

    def test_unknown_variable(self):
        with self.assertRaises(CalcError):
            Calculator().evaluate("y + 1")

    def test_malformed(self):
        for text in ("1 +", "1 2", ""):
            with self.assertRaises(CalcError):
                Calculator().evaluate(text)


class TestScripts(unittest.TestCase):
    def test_assignment_chain(self):
        calc = Calculator()
        self.assertEqual(calc.run_script("r = 3\narea = 3 * r ^ 2\narea % 10"), [3, 27, 7])
        self.assertEqual(calc.variables, {"r": 3, "area": 27})

    def test_reassignment_uses_old_value(self):
        calc = Calculator()
        calc.run_line("n = 1")
        self.assertEqual(calc.run_line("n = n + 1"), 2)

    def test_comments_and_blank_lines(self):
        self.assertEqual(Calculator().run_script("\n  # c\n1+1\n   \n"), [2])
