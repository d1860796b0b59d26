# pyright: reportUndefinedVariable=false
import unittest


class TestCounts(unittest.TestCase):
    def test_words_with_apostrophes_and_digits(self):
        self.assertEqual(TextStats("Don't panic: 42 towels'").word_count(), 4)

    def test_words_empty(self):
        self.assertEqual(TextStats("").word_count(), 0)

    def test_sentences_with_repeated_terminators(self):
        self.assertEqual(TextStats("Wait... What?! No.").sentence_count(), 3)

    def test_sentences_none(self):
        self.assertEqual(TextStats("   \n").sentence_count(), 0)

    def test_sentence_without_terminator(self):
        self.assertEqual(TextStats("just words").sentence_count(), 1)

    def test_lines_without_final_newline(self):
        self.assertEqual(TextStats("a\nb\nc").line_count(), 3)

    def test_lines_blank_lines_count(self):
        self.assertEqual(TextStats("a\n\nb\n").line_count(), 3)


class TestWords(unittest.TestCase):
    def test_most_common_case_insensitive(self):
        stats = TextStats("Red red RED blue. Blue green")
        self.assertEqual(stats.most_common_words(2), [("red", 3), ("blue", 2)])

    def test_most_common_ties_alphabetical(self):
        self.assertEqual(TextStats("pear apple fig").most_common_words(3), [("apple", 1), ("fig", 1), ("pear", 1)])

    def test_most_common_skips_stop_words(self):
        self.assertEqual(TextStats("the the the end").most_common_words(5), [("end", 1)])

    def test_most_common_zero(self):
        self.assertEqual(TextStats("a b c").most_common_words(0), [])

    def test_average_rounding(self):
        self.assertEqual(TextStats("a bb bb").average_word_length(), 1.67)

    def test_longest_first_on_ties(self):
        self.assertEqual(TextStats("abc xyz ab").longest_word(), "abc")

    def test_longest_none(self):
        self.assertIsNone(TextStats("?!").longest_word())
