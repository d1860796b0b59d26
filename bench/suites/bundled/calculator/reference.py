"""A small calculator: tokenizer -> shunting-yard -> postfix evaluator -> script runner."""

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
        tokens: list[Token] = []
        pos = 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = TOKEN.match(text, pos)
            if match is None:
                bad = len(text) - len(text[pos:].lstrip())
                raise CalcError(f"unexpected {text[bad]!r} at position {bad}")
            kinds = ("num", "name", "op", "lparen", "rparen")
            index = match.lastindex
            assert index is not None
            tokens.append(Token(kinds[index - 1], match.group(index)))
            pos = match.end()
        return tokens

    def to_postfix(self, text: str) -> list[Token]:
        """Tokens of `text` in postfix order (shunting-yard); unary minus becomes "neg".

        >>> [t.text for t in Calculator().to_postfix("1 + 2 * 3")]
        ['1', '2', '3', '*', '+']
        >>> [t.text for t in Calculator().to_postfix("-(2 - 3) ^ 2")]
        ['2', '3', '-', '2', '^', 'neg']
        """
        output, stack = list[Token](), list[Token]()
        tokens = self.tokenize(text)
        for i, token in enumerate(tokens):
            if token.kind in ("num", "name"):
                output.append(token)
            elif token.kind == "rparen":
                while stack and stack[-1].kind != "lparen":
                    output.append(stack.pop())
                if not stack:
                    raise CalcError("unbalanced ')'")
                stack.pop()
            else:
                unary = token.text == "-" and (i == 0 or tokens[i - 1].kind in ("op", "lparen"))
                token = Token("op", "neg") if unary else token
                while not unary and stack and binds_first(stack[-1].text, token.text):
                    output.append(stack.pop())
                stack.append(token)
        if any(t.kind == "lparen" for t in stack):
            raise CalcError("unbalanced '('")
        return output + stack[::-1]

    def evaluate(self, text: str) -> float:
        """Value of an expression, using self.variables.

        >>> Calculator().evaluate("2 ^ 3 ^ 2 - 10 % 4")
        510
        >>> Calculator().evaluate("7 / 2"), Calculator().evaluate("-2 ^ 2")
        (3.5, -4)
        """
        stack: list[float] = []
        for token in self.to_postfix(text):
            if token.kind == "num":
                stack.append(float(token.text) if "." in token.text else int(token.text))
            elif token.kind == "name":
                if token.text not in self.variables:
                    raise CalcError(f"unknown variable {token.text!r}")
                stack.append(self.variables[token.text])
            else:
                arity = 1 if token.text == "neg" else 2
                if len(stack) < arity:
                    raise CalcError(f"missing operand for {token.text!r}")
                if arity == 1:
                    stack.append(-stack.pop())
                else:
                    right, left = stack.pop(), stack.pop()
                    stack.append(self._apply(token.text, left, right))
        if len(stack) != 1:
            raise CalcError("malformed expression")
        return stack[0]

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
        if op in ("/", "%") and right == 0:
            raise CalcError("division by zero")
        return BINARY[op](left, right)

    def run_line(self, line: str) -> float:
        """Evaluate one line; "name = expr" also stores the variable.

        >>> calc = Calculator()
        >>> calc.run_line("x = 4 * 2"), calc.run_line("x + 1"), calc.variables
        (8, 9, {'x': 8})
        """
        match = ASSIGNMENT.match(line)
        if match is None:
            return self.evaluate(line)
        value = self.evaluate(match.group(2))
        self.variables[match.group(1)] = value
        return value

    def run_script(self, text: str) -> list[float]:
        """Run every line that is neither blank nor a "#" comment; return their values.

        >>> Calculator().run_script("a = 2\\n# note\\n\\nb = a ^ 2\\nb - a")
        [2, 4, 2]
        """
        return [
            self.run_line(line)
            for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
