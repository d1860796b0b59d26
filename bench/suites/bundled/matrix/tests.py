# pyright: reportUndefinedVariable=false
import unittest


class TestAccess(unittest.TestCase):
    def setUp(self):
        self.m = Matrix([[1, 2, 3], [4, 5, 6]])

    def test_row_is_a_copy(self):
        row = self.m.row(0)
        row[0] = 99
        self.assertEqual(self.m.row(0), [1, 2, 3])

    def test_col(self):
        self.assertEqual(self.m.col(2), [3, 6])

    def test_row_out_of_range(self):
        with self.assertRaises(IndexError):
            self.m.row(2)

    def test_col_negative(self):
        with self.assertRaises(IndexError):
            self.m.col(-1)

    def test_dot_mismatch(self):
        with self.assertRaises(ValueError):
            Matrix._dot([1, 2], [1])

    def test_equality_with_other_types(self):
        self.assertNotEqual(self.m, [[1, 2, 3], [4, 5, 6]])
        self.assertEqual(self.m, Matrix([[1, 2, 3], [4, 5, 6]]))


class TestAlgebra(unittest.TestCase):
    def test_transpose_shape(self):
        t = Matrix([[1, 2, 3], [4, 5, 6]]).transpose()
        self.assertEqual((t.n_rows, t.n_cols), (3, 2))
        self.assertEqual(t, Matrix([[1, 4], [2, 5], [3, 6]]))

    def test_add(self):
        self.assertEqual(Matrix([[1], [2]]).add(Matrix([[3], [4]])), Matrix([[4], [6]]))

    def test_add_shape_mismatch(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2]]).add(Matrix([[1], [2]]))

    def test_multiply_rectangular(self):
        a = Matrix([[1, 2, 3]])
        b = Matrix([[1], [2], [3]])
        self.assertEqual(a.multiply(b), Matrix([[14]]))
        self.assertEqual(b.multiply(a), Matrix([[1, 2, 3], [2, 4, 6], [3, 6, 9]]))

    def test_multiply_mismatch(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2]]).multiply(Matrix([[1, 2]]))

    def test_identity_is_neutral(self):
        m = Matrix([[2, 3], [5, 7]])
        self.assertEqual(m.multiply(Matrix.identity(2)), m)

    def test_power_zero_and_one(self):
        m = Matrix([[2, 0], [0, 3]])
        self.assertEqual(m.power(0), Matrix.identity(2))
        self.assertEqual(m.power(1), m)
        self.assertEqual(m.power(3), Matrix([[8, 0], [0, 27]]))

    def test_power_not_square(self):
        with self.assertRaises(ValueError):
            Matrix([[1, 2]]).power(2)
