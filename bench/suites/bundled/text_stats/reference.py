"""Statistics about one piece of text; every method is independent of the others."""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z0-9]+)*")
SENTENCE_END = re.compile(r"[.!?]+")
STOP_WORDS = frozenset({"a", "an", "and", "the", "of", "to", "in", "is", "it"})


class TextStats:
    """Answers questions about `text`."""

    def __init__(self, text: str) -> None:
        self.text = text

    def word_count(self) -> int:
        """Number of words.

        >>> TextStats("It's a dog-eat-dog world, isn't it?").word_count()
        8
        >>> TextStats("  ").word_count()
        0
        """
        return len(WORD.findall(self.text))

    def sentence_count(self) -> int:
        """Number of sentences; trailing words without a terminator form one more.

        >>> TextStats("Hi there. How are you?! Fine").sentence_count()
        3
        >>> TextStats("...").sentence_count()
        0
        """
        count = 0
        for piece in SENTENCE_END.split(self.text):
            if WORD.search(piece):
                count += 1
        return count

    def line_count(self) -> int:
        """Number of lines (a final newline does not open another).

        >>> TextStats("one\\ntwo\\n").line_count()
        2
        >>> TextStats("").line_count()
        0
        """
        return len(self.text.splitlines())

    def most_common_words(self, n: int) -> list[tuple[str, int]]:
        """The n most frequent non-stop words, lower-cased; ties alphabetical.

        >>> TextStats("The cat and the hat. A cat!").most_common_words(2)
        [('cat', 2), ('hat', 1)]
        """
        counts = Counter(w.lower() for w in WORD.findall(self.text) if w.lower() not in STOP_WORDS)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return ranked[: max(n, 0)]

    def average_word_length(self) -> float:
        """Mean characters per word, rounded to 2 decimals (0.0 without words).

        >>> TextStats("ab abcd").average_word_length()
        3.0
        >>> TextStats("!!").average_word_length()
        0.0
        """
        words = WORD.findall(self.text)
        if not words:
            return 0.0
        return round(sum(len(w) for w in words) / len(words), 2)

    def longest_word(self) -> str | None:
        """The longest word (the first on ties), or None.

        >>> TextStats("big small large").longest_word()
        'small'
        >>> TextStats("").longest_word() is None
        True
        """
        longest: str | None = None
        for word in WORD.findall(self.text):
            if longest is None or len(word) > len(longest):
                longest = word
        return longest
