"""The static classifier on hand-written outlines: edges, evidence, plans and decisions."""

from __future__ import annotations

import textwrap

import pytest

from agents.coupling import CouplingConfig, OutlineSyntaxError, UnknownSymbolError, classify

INDEPENDENT = '''
class Geometry:
    """Shapes."""

    def __init__(self, radius):
        self.radius = radius

    def circle_area(self):
        """Area of a circle of self.radius.

        >>> Geometry(1).circle_area()
        3.14
        """

    def sphere_volume(self):
        """Volume of a sphere of self.radius."""
        pass

    def cube_volume(self, side):
        """Volume of a cube with the given side."""
        ...
'''

CHAIN = '''
class Pipeline:
    def load(self, path):
        """Read the raw records from path."""

    def clean_records(self, path):
        """Calls self.load(path) and drops empty records."""

    def summarize(self, path):
        """Counts the output of clean_records() by key."""

    def render_report(self, path):
        """Formats the result of :meth:`summarize` as text."""
'''

DIAMOND = '''
def tokenize(text):
    """Split text into words."""

def count_words(text):
    """Uses tokenize() and counts the words."""

def longest_word(text):
    """Uses `tokenize` and returns the longest word."""

def summary(text):
    """Combine count_words(text) and longest_word(text) into one line."""
'''


def pairs(report) -> set[tuple[str, str]]:
    return {(s, d) for s, ds in report.deps.items() for d in ds}


def test_independent_methods_run_in_parallel() -> None:
    report = classify(INDEPENDENT)
    assert report.stubs == ["Geometry.circle_area", "Geometry.sphere_volume", "Geometry.cube_volume"]
    assert pairs(report) == set()
    assert report.waves == [report.stubs]
    assert (report.decision, report.score) == ("parallel", 0.0)
    assert report.fields["radius"] == ["Geometry.circle_area", "Geometry.sphere_volume"]


def test_chain_is_serial_with_waves_of_one() -> None:
    report = classify(CHAIN)
    assert report.deps == {
        "Pipeline.load": [],
        "Pipeline.clean_records": ["Pipeline.load"],
        "Pipeline.summarize": ["Pipeline.clean_records"],
        "Pipeline.render_report": ["Pipeline.summarize"],
    }
    assert report.waves == [["Pipeline.load"], ["Pipeline.clean_records"], ["Pipeline.summarize"], ["Pipeline.render_report"]]
    assert (report.decision, report.score) == ("serial", 1.0)


def test_diamond_runs_in_waves() -> None:
    report = classify(DIAMOND)
    assert report.deps == {
        "tokenize": [],
        "count_words": ["tokenize"],
        "longest_word": ["tokenize"],
        "summary": ["count_words", "longest_word"],
    }
    assert report.waves == [["tokenize"], ["count_words", "longest_word"], ["summary"]]
    assert report.decision == "waves"
    assert report.score == pytest.approx(2 / 3)


def test_self_calls_and_docstring_mentions_carry_evidence() -> None:
    outline = '''
class Stack:
    def __init__(self):
        self.items = []

    def push(self, item):
        """Put item on top."""

    def peek(self):
        """Top item without removing it."""
        return self.items[-1]

    def push_all(self, items):
        """Push each item."""
        for item in items:
            self.push(item)

    def describe(self):
        """Text form; calls :meth:`peek` for the top."""
'''
    report = classify(outline, ["Stack.push", "Stack.peek", "Stack.push_all", "Stack.describe"])
    by_pair = {(e.src, e.dst): e for e in report.edges if e.kind in ("call", "doc_ref")}
    call = by_pair[("Stack.push_all", "Stack.push")]
    assert (call.kind, call.weight) == ("call", 1.0)
    assert "self.push(item)" in call.evidence
    ref = by_pair[("Stack.describe", "Stack.peek")]
    assert ref.kind == "doc_ref" and ":meth:`peek`" in ref.evidence
    assert pairs(report) == {("Stack.push_all", "Stack.push"), ("Stack.describe", "Stack.peek")}


def test_common_word_names_in_prose_make_no_deps() -> None:
    outline = '''
class Job:
    def get(self, key):
        """Return the value stored under key."""

    def set(self, key, value):
        """Store value under key; later calls get the new value."""

    def run(self):
        """Set up the workers, then run them and get their results."""

    def check(self):
        """Run sanity checks; set a flag when anything is wrong."""
'''
    report = classify(outline)
    assert pairs(report) == set()
    assert report.decision == "parallel"
    # The mentions are still recorded, as weak evidence.
    weak = {(e.src, e.dst) for e in report.edges if e.kind == "doc_word"}
    assert ("Job.run", "Job.get") in weak
    assert all(e.weight < CouplingConfig().dep_threshold for e in report.edges)


def test_common_word_named_explicitly_is_an_edge() -> None:
    outline = '''
class Cache:
    def get(self, key):
        """Return the cached value."""

    def get_many(self, keys):
        """Calls self.get for each key."""
'''
    assert pairs(classify(outline)) == {("Cache.get_many", "Cache.get")}


def test_doctest_setup_calls_are_weak_edges() -> None:
    outline = '''
class Account:
    def deposit(self, amount):
        """Add money.

        >>> a = Account(); a.deposit(5)
        """

    def statement(self):
        """Lines of the history.

        >>> a = Account()
        >>> a.deposit(5)
        >>> a.statement()
        ['+5']
        """
'''
    report = classify(outline)
    edge = next(e for e in report.edges if e.src == "Account.statement")
    assert (edge.kind, edge.dst) == ("doctest", "Account.deposit")
    assert edge.weight < CouplingConfig().dep_threshold
    assert pairs(report) == set()


def test_producer_and_consumer_of_a_field() -> None:
    outline = '''
class Lexer:
    def __init__(self, text):
        self.text = text
        self.tokens = []

    def scan(self):
        """Splits self.text and stores the result in self.tokens."""

    def count_tokens(self):
        """Number of entries in self.tokens."""
'''
    report = classify(outline)
    state = [e for e in report.edges if e.kind == "state"]
    assert [(e.src, e.dst) for e in state] == [("Lexer.count_tokens", "Lexer.scan")]
    assert "self.tokens" in state[0].evidence
    assert report.fields["tokens"] == ["Lexer.scan", "Lexer.count_tokens"]


def test_type_flow_between_functions() -> None:
    outline = '''
class Token:
    kind: str

def lex(text: str) -> list[Token]:
    """Split text."""

def parse_tokens(tokens: list[Token]) -> dict:
    """Build a tree."""
'''
    report = classify(outline)
    assert [(e.src, e.dst, e.kind) for e in report.edges] == [("parse_tokens", "lex", "type_flow")]


def test_cycles_are_broken_deterministically() -> None:
    outline = '''
class Ring:
    def a(self):
        """Alpha."""
        return self.b()

    def b(self):
        """Beta."""
        return self.c()

    def c(self):
        """Gamma, see self.a."""
'''
    symbols = ["Ring.a", "Ring.b", "Ring.c"]
    first = classify(outline, symbols)
    # c -> a is the weakest link (a docstring reference, not a call): it goes.
    assert first.dropped == [("Ring.c", "Ring.a")]
    assert first.waves == [["Ring.c"], ["Ring.b"], ["Ring.a"]]
    assert classify(outline, list(reversed(symbols))) == first
    tie = outline.replace('"""Gamma, see self.a."""', '"""Gamma."""\n        return self.a()')
    # Equal strength: the edge whose source comes last in the outline goes.
    assert classify(tie, symbols).dropped == [("Ring.c", "Ring.a")]


def test_string_wrapped_outline_is_unwrapped() -> None:
    wrapped = "'''\n" + textwrap.dedent(CHAIN) + "\n'''\n"
    report = classify(wrapped)
    assert report.decision == "serial"
    assert any("string literal" in r for r in report.reasons)


def test_syntax_error_is_typed_and_chained() -> None:
    with pytest.raises(OutlineSyntaxError) as info:
        classify("class A:\n    def f(self):\n        \u201cdoc\u201d\n")
    assert info.value.lineno == 3
    assert isinstance(info.value.__cause__, SyntaxError)
    assert "line 3" in str(info.value)


def test_unknown_symbol_lists_what_is_defined() -> None:
    with pytest.raises(UnknownSymbolError, match=r"push.*Class\.method.*Stack\.pop"):
        classify("class Stack:\n    def pop(self):\n        pass\n", ["push"])


def test_config_thresholds_change_the_decision() -> None:
    report = classify(DIAMOND, config=CouplingConfig(serial_min_score=0.6))
    assert report.decision == "serial"
    nothing = classify(DIAMOND, config=CouplingConfig(dep_threshold=1.0))
    assert nothing.decision == "parallel" and pairs(nothing) == set()


def test_module_docstring_states_dependencies() -> None:
    outline = '''"""Matrices.

Outline: row and col only read the grid; transpose builds on col; multiply on row, col and _dot.
"""

class Matrix:
    def row(self, i):
        """Row i."""

    def col(self, j):
        """Column j."""

    @staticmethod
    def _dot(a, b):
        """Sum of products."""

    def transpose(self):
        """Swap the axes."""

    def multiply(self, other):
        """Matrix product."""
'''
    report = classify(outline)
    assert report.deps["Matrix.transpose"] == ["Matrix.col"]
    assert report.deps["Matrix.multiply"] == ["Matrix.row", "Matrix.col", "Matrix._dot"]
    assert report.deps["Matrix.row"] == []
    edge = next(e for e in report.edges if (e.src, e.dst) == ("Matrix.transpose", "Matrix.col"))
    assert edge.kind == "doc_ref" and edge.evidence.startswith("module docstring: transpose builds on col")
