"""A least-recently-used map bounded both by how many entries it holds and by their total size."""

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedLRU(Generic[K, V]):
    """Keeps at most max_entries values whose sizes add up to at most max_bytes.

    Sizes are whatever the caller says a value costs; putting a value evicts the least
    recently used ones until both bounds hold again. Not thread-safe: it is meant for one
    event loop.
    """

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.total_bytes = 0
        self.evictions = 0
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: K) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, size: int) -> bool:
        """Store value; False (and nothing stored) when it alone would break a bound."""
        if size > self.max_bytes or self.max_entries < 1:
            return False
        old = self._items.pop(key, None)
        if old is not None:
            self.total_bytes -= old[1]
        self._items[key] = (value, size)
        self.total_bytes += size
        while len(self._items) > self.max_entries or self.total_bytes > self.max_bytes:
            _, (_, evicted_size) = self._items.popitem(last=False)
            self.total_bytes -= evicted_size
            self.evictions += 1
        return True
