# pyright: reportUndefinedVariable=false
import unittest


class TestCells(unittest.TestCase):
    def test_outer_pipes_optional(self):
        self.assertEqual(split_cells("  a |b|  c  "), ["a", "b", "c"])

    def test_empty_cells_kept(self):
        self.assertEqual(split_cells("| a || c |"), ["a", "", "c"])

    def test_escaped_pipe_at_end(self):
        self.assertEqual(split_cells("| a | b \\|"), ["a", "b \\|"])

    def test_alignment_needs_a_dash(self):
        self.assertEqual(parse_alignment(":-:"), "center")
        with self.assertRaises(ValueError):
            parse_alignment("::")

    def test_alignment_with_spaces(self):
        self.assertEqual(parse_alignment("  :---:  "), "center")


class TestParsing(unittest.TestCase):
    def test_blank_lines_ignored(self):
        table = parse_table("\n| h |\n\n|---|\n| x |\n\n")
        self.assertEqual((table.header, table.aligns, table.rows), (["h"], [None], [["x"]]))

    def test_too_short(self):
        with self.assertRaises(ValueError):
            parse_table("| only a header |")

    def test_bad_separator(self):
        with self.assertRaises(ValueError):
            parse_table("a|b\n1|2")

    def test_normalise_extra_alignments_cut(self):
        table = normalise("a\n---|:---:\nx|y")
        self.assertEqual((table.aligns, table.rows), ([None], [["x"]]))

    def test_widths_minimum(self):
        self.assertEqual(column_widths(Table(["a"], [None], [])), [3])


class TestRender(unittest.TestCase):
    def test_center_column(self):
        self.assertEqual(
            render("|x|\n|:---:|\n|abcde|\n|a|"),
            "|   x   |\n| :---: |\n| abcde |\n|   a   |",
        )

    def test_ragged_rows(self):
        self.assertEqual(
            render("a|b\n---|---\n1"),
            "| a   | b   |\n| --- | --- |\n| 1   |     |",
        )

    def test_header_only(self):
        self.assertEqual(render("long header\n---"), "| long header |\n| ----------- |")

    def test_render_is_idempotent(self):
        once = render("k|v\n:-|-:\nalpha|1\nb|22")
        self.assertEqual(render(once), once)

    def test_format_row_center(self):
        self.assertEqual(format_row(["x", "yz"], [3, 5], ["center", None]), "|  x  | yz    |")

    def test_align_cell_exact_width(self):
        self.assertEqual(align_cell("abc", 3, "center"), "abc")
