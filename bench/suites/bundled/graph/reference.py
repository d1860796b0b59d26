"""A directed graph with deterministic traversals."""

from __future__ import annotations

import heapq
from collections import deque


class Graph:
    """Nodes and directed edges; successors are visited in sorted order."""

    def __init__(self) -> None:
        self._adjacency: dict[str, set[str]] = {}

    def add_node(self, node: str) -> None:
        """Add an isolated node (no-op when it exists).

        >>> g = Graph()
        >>> g.add_node("a")
        >>> g._adjacency
        {'a': set()}
        """
        self._adjacency.setdefault(node, set())

    def add_edge(self, source: str, target: str) -> None:
        """Add both nodes and the edge source -> target.

        >>> g = Graph()
        >>> g.add_edge("a", "b")
        >>> g._adjacency
        {'a': {'b'}, 'b': set()}
        """
        self._adjacency.setdefault(source, set()).add(target)
        self._adjacency.setdefault(target, set())

    def nodes(self) -> list[str]:
        """All nodes, sorted.

        >>> g = Graph()
        >>> g._adjacency.update({"b": set(), "a": {"b"}})
        >>> g.nodes()
        ['a', 'b']
        """
        return sorted(self._adjacency)

    def neighbours(self, node: str) -> list[str]:
        """Sorted successors of a node.

        >>> g = Graph()
        >>> g._adjacency.update({"a": {"c", "b"}, "b": set(), "c": set()})
        >>> g.neighbours("a")
        ['b', 'c']
        """
        if node not in self._adjacency:
            raise KeyError(node)
        return sorted(self._adjacency[node])

    def bfs(self, start: str) -> list[str]:
        """Nodes reachable from start, breadth first.

        >>> g = Graph()
        >>> for s, t in [("a", "c"), ("a", "b"), ("b", "d"), ("c", "d"), ("e", "a")]:
        ...     g.add_edge(s, t)
        >>> g.bfs("a")
        ['a', 'b', 'c', 'd']
        """
        order = [start]
        seen = {start}
        queue = deque([start])
        while queue:
            for nxt in self.neighbours(queue.popleft()):
                if nxt not in seen:
                    seen.add(nxt)
                    order.append(nxt)
                    queue.append(nxt)
        return order

    def shortest_path(self, source: str, target: str) -> list[str] | None:
        """A path with the fewest edges, or None.

        >>> g = Graph()
        >>> for s, t in [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]:
        ...     g.add_edge(s, t)
        >>> g.shortest_path("a", "d"), g.shortest_path("d", "a")
        (['a', 'c', 'd'], None)
        """
        self.neighbours(target)
        parents: dict[str, str | None] = {source: None}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            if node == target:
                path: list[str] = []
                step: str | None = node
                while step is not None:
                    path.append(step)
                    step = parents[step]
                return path[::-1]
            for nxt in self.neighbours(node):
                if nxt not in parents:
                    parents[nxt] = node
                    queue.append(nxt)
        return None

    def reachable(self, source: str, target: str) -> bool:
        """Whether a path leads from source to target.

        >>> g = Graph()
        >>> g.add_edge("a", "b"); g.add_node("c")
        >>> g.reachable("a", "b"), g.reachable("b", "a"), g.reachable("c", "c")
        (True, False, True)
        """
        return target in self.bfs(source)

    def has_cycle(self) -> bool:
        """Whether the graph has a directed cycle.

        >>> g = Graph()
        >>> g.add_edge("a", "b"); g.add_edge("b", "c")
        >>> g.has_cycle()
        False
        >>> g.add_edge("c", "a")
        >>> g.has_cycle()
        True
        """
        white, grey, black = 0, 1, 2
        colour = {node: white for node in self._adjacency}
        for root in self.nodes():
            if colour[root] != white:
                continue
            colour[root] = grey
            stack = [(root, iter(self.neighbours(root)))]
            while stack:
                node, successors = stack[-1]
                nxt = next(successors, None)
                if nxt is None:
                    colour[node] = black
                    stack.pop()
                elif colour[nxt] == grey:
                    return True
                elif colour[nxt] == white:
                    colour[nxt] = grey
                    stack.append((nxt, iter(self.neighbours(nxt))))
        return False

    def topological_order(self) -> list[str]:
        """Every node after its predecessors, smallest available node first.

        >>> g = Graph()
        >>> for s, t in [("shirt", "tie"), ("tie", "jacket"), ("trousers", "shoes"), ("socks", "shoes")]:
        ...     g.add_edge(s, t)
        >>> g.topological_order()
        ['shirt', 'socks', 'tie', 'jacket', 'trousers', 'shoes']
        """
        if self.has_cycle():
            raise ValueError("the graph has a cycle")
        indegree = {node: 0 for node in self._adjacency}
        for node in self._adjacency:
            for nxt in self.neighbours(node):
                indegree[nxt] += 1
        ready = [node for node, degree in indegree.items() if degree == 0]
        heapq.heapify(ready)
        order: list[str] = []
        while ready:
            node = heapq.heappop(ready)
            order.append(node)
            for nxt in self.neighbours(node):
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    heapq.heappush(ready, nxt)
        return order
