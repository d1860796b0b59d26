# pyright: reportUndefinedVariable=false
import unittest


def build(edges, isolated=()):
    graph = Graph()
    for source, target in edges:
        graph.add_edge(source, target)
    for node in isolated:
        graph.add_node(node)
    return graph


class TestStructure(unittest.TestCase):
    def test_nodes_include_targets_and_isolated(self):
        self.assertEqual(build([("b", "a")], isolated=["c"]).nodes(), ["a", "b", "c"])

    def test_add_node_keeps_edges(self):
        graph = build([("a", "b")])
        graph.add_node("a")
        self.assertEqual(graph.neighbours("a"), ["b"])

    def test_neighbours_unknown(self):
        with self.assertRaises(KeyError):
            Graph().neighbours("x")

    def test_duplicate_edges_collapse(self):
        self.assertEqual(build([("a", "b"), ("a", "b")]).neighbours("a"), ["b"])


class TestTraversal(unittest.TestCase):
    def setUp(self):
        self.graph = build([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e"), ("x", "a")])

    def test_bfs_order(self):
        self.assertEqual(self.graph.bfs("a"), ["a", "b", "c", "d", "e"])

    def test_bfs_single(self):
        self.assertEqual(self.graph.bfs("e"), ["e"])

    def test_shortest_path_tie_uses_sorted_order(self):
        self.assertEqual(self.graph.shortest_path("a", "e"), ["a", "b", "d", "e"])

    def test_shortest_path_same_node(self):
        self.assertEqual(self.graph.shortest_path("c", "c"), ["c"])

    def test_shortest_path_unreachable(self):
        self.assertIsNone(self.graph.shortest_path("e", "x"))

    def test_shortest_path_unknown_node(self):
        with self.assertRaises(KeyError):
            self.graph.shortest_path("a", "zz")

    def test_reachable(self):
        self.assertTrue(self.graph.reachable("x", "e"))
        self.assertFalse(self.graph.reachable("a", "x"))


class TestOrdering(unittest.TestCase):
    def test_self_loop_is_a_cycle(self):
        self.assertTrue(build([("a", "a")]).has_cycle())

    def test_diamond_is_not_a_cycle(self):
        self.assertFalse(build([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]).has_cycle())

    def test_cycle_in_second_component(self):
        self.assertTrue(build([("a", "b"), ("x", "y"), ("y", "z"), ("z", "x")]).has_cycle())

    def test_topological_smallest_first(self):
        graph = build([("c", "a"), ("b", "a")], isolated=["d"])
        self.assertEqual(graph.topological_order(), ["b", "c", "a", "d"])

    def test_topological_respects_edges(self):
        graph = build([("a", "b"), ("b", "c"), ("a", "c"), ("d", "b")])
        order = graph.topological_order()
        for source, target in [("a", "b"), ("b", "c"), ("a", "c"), ("d", "b")]:
            self.assertLess(order.index(source), order.index(target))

    def test_topological_cycle(self):
        with self.assertRaises(ValueError):
            build([("a", "b"), ("b", "a")]).topological_order()

    def test_empty_graph(self):
        self.assertEqual(Graph().topological_order(), [])
        self.assertFalse(Graph().has_cycle())
