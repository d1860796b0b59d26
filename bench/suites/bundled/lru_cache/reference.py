"""A least-recently-used cache on a dict and a hand-written doubly linked list."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class Node:
    """A list cell holding one cache entry."""

    def __init__(self, key: Hashable = None, value: Any = None) -> None:
        self.key = key
        self.value = value
        self.prev: Node | None = None
        self.next: Node | None = None


class LRUCache:
    """Maps keys to values, forgetting the least recently used beyond `capacity`."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._map: dict[Hashable, Node] = {}
        self._head = Node()
        self._tail = Node()
        self._head.next = self._tail
        self._tail.prev = self._head

    def _unlink(self, node: Node) -> None:
        """Take a node out of the list.

        >>> cache = LRUCache(2)
        >>> node = Node("a", 1)
        >>> node.prev, node.next = cache._head, cache._tail
        >>> cache._head.next = cache._tail.prev = node
        >>> cache._unlink(node)
        >>> cache._head.next is cache._tail and cache._tail.prev is cache._head
        True
        """
        assert node.prev is not None and node.next is not None
        node.prev.next = node.next
        node.next.prev = node.prev
        node.prev = node.next = None

    def _push_front(self, node: Node) -> None:
        """Insert a node right after the head sentinel.

        >>> cache = LRUCache(2)
        >>> cache._push_front(Node("a", 1))
        >>> cache._push_front(Node("b", 2))
        >>> cache._head.next.key, cache._head.next.next.key, cache._tail.prev.key
        ('b', 'a', 'a')
        """
        first = self._head.next
        assert first is not None
        node.prev = self._head
        node.next = first
        first.prev = node
        self._head.next = node

    def _evict(self) -> Hashable:
        """Drop the least recently used entry and return its key (None when empty).

        >>> cache = LRUCache(2)
        >>> cache.put("a", 1), cache.put("b", 2)
        (None, None)
        >>> cache._evict(), sorted(cache._map)
        ('a', ['b'])
        """
        last = self._tail.prev
        if last is None or last is self._head:
            return None
        self._unlink(last)
        del self._map[last.key]
        return last.key

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value for key, marking it most recently used; `default` when absent.

        >>> cache = LRUCache(2)
        >>> _ = cache.put("a", 1)
        >>> cache.get("a"), cache.get("zz", 0)
        (1, 0)
        """
        node = self._map.get(key)
        if node is None:
            return default
        self._unlink(node)
        self._push_front(node)
        return node.value

    def put(self, key: Hashable, value: Any) -> Hashable:
        """Insert or update; returns the key evicted to make room, if any.

        >>> cache = LRUCache(1)
        >>> cache.put("a", 1), cache.put("b", 2), cache.get("a"), cache.get("b")
        (None, 'a', None, 2)
        """
        node = self._map.get(key)
        if node is not None:
            node.value = value
            self._unlink(node)
            self._push_front(node)
            return None
        evicted = self._evict() if len(self._map) >= self.capacity else None
        node = Node(key, value)
        self._map[key] = node
        self._push_front(node)
        return evicted

    def keys(self) -> list[Hashable]:
        """Keys from most to least recently used.

        >>> cache = LRUCache(3)
        >>> for k in "abc":
        ...     _ = cache.put(k, k.upper())
        >>> cache.keys()
        ['c', 'b', 'a']
        """
        found: list[Hashable] = []
        node = self._head.next
        while node is not None and node is not self._tail:
            found.append(node.key)
            node = node.next
        return found

    def __len__(self) -> int:
        """Number of entries.

        >>> cache = LRUCache(2)
        >>> cache._map["a"] = Node("a", 1)
        >>> len(cache)
        1
        """
        return len(self._map)

    def __contains__(self, key: object) -> bool:
        """Membership, without touching the recency order.

        >>> cache = LRUCache(2)
        >>> cache._map["a"] = Node("a", 1)
        >>> "a" in cache, "b" in cache
        (True, False)
        """
        return key in self._map
