"""An immutable dense matrix over Python numbers."""

from __future__ import annotations

from collections.abc import Sequence


class Matrix:
    """A rectangular, non-empty grid of numbers."""

    def __init__(self, rows: Sequence[Sequence[float]]) -> None:
        if not rows or not rows[0]:
            raise ValueError("a matrix needs at least one row and one column")
        width = len(rows[0])
        if any(len(r) != width for r in rows):
            raise ValueError("rows have different lengths")
        self._rows: list[list[float]] = [list(r) for r in rows]
        self.n_rows = len(rows)
        self.n_cols = width

    def row(self, i: int) -> list[float]:
        """A copy of row i.

        >>> Matrix([[1, 2], [3, 4]]).row(1)
        [3, 4]
        >>> Matrix([[1, 2]]).row(-1)
        Traceback (most recent call last):
        ...
        IndexError: row -1 out of range
        """
        if not 0 <= i < self.n_rows:
            raise IndexError(f"row {i} out of range")
        return list(self._rows[i])

    def col(self, j: int) -> list[float]:
        """A copy of column j.

        >>> Matrix([[1, 2], [3, 4]]).col(0)
        [1, 3]
        >>> Matrix([[1, 2]]).col(2)
        Traceback (most recent call last):
        ...
        IndexError: column 2 out of range
        """
        if not 0 <= j < self.n_cols:
            raise IndexError(f"column {j} out of range")
        return [r[j] for r in self._rows]

    @staticmethod
    def _dot(a: Sequence[float], b: Sequence[float]) -> float:
        """Dot product of two equal-length sequences.

        >>> Matrix._dot([1, 2, 3], [4, 5, 6])
        32
        """
        if len(a) != len(b):
            raise ValueError(f"lengths differ: {len(a)} and {len(b)}")
        return sum(x * y for x, y in zip(a, b))

    @classmethod
    def identity(cls, n: int) -> Matrix:
        """The n x n identity matrix.

        >>> Matrix.identity(2)._rows
        [[1, 0], [0, 1]]
        """
        if n < 1:
            raise ValueError("identity needs n >= 1")
        return cls([[1 if i == j else 0 for j in range(n)] for i in range(n)])

    def transpose(self) -> Matrix:
        """Rows become columns.

        >>> Matrix([[1, 2, 3]]).transpose()._rows
        [[1], [2], [3]]
        """
        return Matrix([self.col(j) for j in range(self.n_cols)])

    def add(self, other: Matrix) -> Matrix:
        """Element-wise sum of two matrices of the same shape.

        >>> Matrix([[1, 2]]).add(Matrix([[10, 20]]))._rows
        [[11, 22]]
        """
        if (self.n_rows, self.n_cols) != (other.n_rows, other.n_cols):
            raise ValueError("shapes differ")
        return Matrix([[a + b for a, b in zip(r, s)] for r, s in zip(self._rows, other._rows)])

    def multiply(self, other: Matrix) -> Matrix:
        """Matrix product self x other.

        >>> Matrix([[1, 2], [3, 4]]).multiply(Matrix([[5], [6]]))._rows
        [[17], [39]]
        """
        if self.n_cols != other.n_rows:
            raise ValueError(f"cannot multiply {self.n_rows}x{self.n_cols} by {other.n_rows}x{other.n_cols}")
        columns = [other.col(j) for j in range(other.n_cols)]
        return Matrix([[Matrix._dot(self.row(i), c) for c in columns] for i in range(self.n_rows)])

    def power(self, k: int) -> Matrix:
        """self multiplied by itself k times (k = 0 gives the identity).

        >>> Matrix([[1, 1], [1, 0]]).power(5)._rows
        [[8, 5], [5, 3]]
        """
        if self.n_rows != self.n_cols:
            raise ValueError("only square matrices have powers")
        if k < 0:
            raise ValueError("k must be >= 0")
        result = Matrix.identity(self.n_rows)
        for _ in range(k):
            result = result.multiply(self)
        return result

    def __eq__(self, other: object) -> bool:
        """Same shape and entries.

        >>> Matrix([[1, 2]]) == Matrix([[1, 2]]), Matrix([[1, 2]]) == Matrix([[1], [2]])
        (True, False)
        """
        if not isinstance(other, Matrix):
            return NotImplemented
        return self._rows == other._rows

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value type: keep it unhashable
