"""A small calculator: tokenizer -> shunting-yard -> postfix evaluator -> script runner.

Outline: ``binds_first`` is given. Each stage calls the one before it (run_script ->
run_line -> evaluate -> to_postfix -> tokenize; evaluate also uses _apply), so each is
best written once the previous one exists.
"""

from __future__ import annotations

import operator
import re
from typing import NamedTuple

TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)|([A-Za-z_]\w*)|([-+*/%^])|(\()|(\)))")
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2, "neg": 3, "^": 4}
RIGHT_ASSOCIATIVE = {"^", "neg"}
BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "^": operator.pow,
}
ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)(.*)$")


class CalcError(Exception):
    """Bad input: unknown character, unbalanced parentheses, unknown variable, ..."""


class Token(NamedTuple):
    """One lexical token."""

    kind: str
    text: str


def binds_first(top: str, incoming: str) -> bool:
    """Whether operator `top` (on the stack) is applied before `incoming`.

    >>> binds_first("*", "+"), binds_first("+", "+"), binds_first("^", "^"), binds_first("(", "+")
    (True, True, False, False)
    """
    if top not in PRECEDENCE or incoming not in PRECEDENCE:
        return False  # parentheses are never applied
    if PRECEDENCE[top] != PRECEDENCE[incoming]:
        return PRECEDENCE[top] > PRECEDENCE[incoming]
    return incoming not in RIGHT_ASSOCIATIVE


class Calculator:
    """Evaluates expressions and keeps variables between them."""

    def __init__(self) -> None:
        self.variables: dict[str, float] = {}

    def tokenize(self, text: str) -> list[Token]:
        """Split an expression into tokens.

        >>> [t.text for t in Calculator().tokenize("2*(x + 1.5)")]
        ['2', '*', '(', 'x', '+', '1.5', ')']
        >>> try:
        ...     Calculator().tokenize("1 $ 2")
        ... except CalcError as err:
        ...     print(err)
        unexpected '$' at position 2
        """
        ...

    def to_postfix(self, text: str) -> list[Token]:
        """Tokens of `text` in postfix order (shunting-yard); unary minus becomes "neg".

        >>> [t.text for t in Calculator().to_postfix("1 + 2 * 3")]
        ['1', '2', '3', '*', '+']
        >>> [t.text for t in Calculator().to_postfix("-(2 - 3) ^ 2")]
        ['2', '3', '-', '2', '^', 'neg']
        """
        ...

    def evaluate(self, text: str) -> float:
        """Value of an expression, using self.variables.

        >>> Calculator().evaluate("2 ^ 3 ^ 2 - 10 % 4")
        510
        >>> Calculator().evaluate("7 / 2"), Calculator().evaluate("-2 ^ 2")
        (3.5, -4)
        """
        ...

    def _apply(self, op: str, left: float, right: float) -> float:
        """Apply a binary operator; division or modulo by zero is a CalcError.

        >>> calc = Calculator()
        >>> calc._apply("^", 2, 10), calc._apply("%", 7, 3), calc._apply("/", 1, 4)
        (1024, 1, 0.25)
        >>> try:
        ...     calc._apply("/", 1, 0)
        ... except CalcError as err:
        ...     print(err)
        division by zero
        """
        ...

    def run_line(self, line: str) -> float:
        """Evaluate one line; "name = expr" also stores the variable.

        >>> calc = Calculator()
        >>> calc.run_line("x = 4 * 2"), calc.run_line("x + 1"), calc.variables
        (8, 9, {'x': 8})
        """
        ...

    def run_script(self, text: str) -> list[float]:
        """Run every line that is neither blank nor a "#" comment; return their values.

        >>> Calculator().run_script("a = 2\\n# note\\n\\nb = a ^ 2\\nb - a")
        [2, 4, 2]
        """
        ...
