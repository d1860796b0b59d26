"""An immutable dense matrix over Python numbers.

Outline: row, col, _dot, identity, add and __eq__ only read ``_rows``;
transpose builds on col; multiply on row, col and _dot; power on identity and multiply.
"""

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
        ...

    def col(self, j: int) -> list[float]:
        """A copy of column j.

        >>> Matrix([[1, 2], [3, 4]]).col(0)
        [1, 3]
        >>> Matrix([[1, 2]]).col(2)
        Traceback (most recent call last):
        ...
        IndexError: column 2 out of range
        """
        ...

    @staticmethod
    def _dot(a: Sequence[float], b: Sequence[float]) -> float:
        """Dot product of two equal-length sequences.

        >>> Matrix._dot([1, 2, 3], [4, 5, 6])
        32
        """
        ...

    @classmethod
    def identity(cls, n: int) -> Matrix:
        """The n x n identity matrix.

        >>> Matrix.identity(2)._rows
        [[1, 0], [0, 1]]
        """
        ...

    def transpose(self) -> Matrix:
        """Rows become columns.

        >>> Matrix([[1, 2, 3]]).transpose()._rows
        [[1], [2], [3]]
        """
        ...

    def add(self, other: Matrix) -> Matrix:
        """Element-wise sum of two matrices of the same shape.

        >>> Matrix([[1, 2]]).add(Matrix([[10, 20]]))._rows
        [[11, 22]]
        """
        ...

    def multiply(self, other: Matrix) -> Matrix:
        """Matrix product self x other.

        >>> Matrix([[1, 2], [3, 4]]).multiply(Matrix([[5], [6]]))._rows
        [[17], [39]]
        """
        ...

    def power(self, k: int) -> Matrix:
        """self multiplied by itself k times (k = 0 gives the identity).

        >>> Matrix([[1, 1], [1, 0]]).power(5)._rows
        [[8, 5], [5, 3]]
        """
        ...

    def __eq__(self, other: object) -> bool:
        """Same shape and entries.

        >>> Matrix([[1, 2]]) == Matrix([[1, 2]]), Matrix([[1, 2]]) == Matrix([[1], [2]])
        (True, False)
        """
        ...

    __hash__ = None  # type: ignore[assignment]  # mutable-looking value type: keep it unhashable
