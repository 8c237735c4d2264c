"""Bounded caches for a long-lived process (a notebook, an editor's language server): what a
space or a source file computed is kept for the most recently used few, never for all."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, Hashable, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """A mapping that keeps the `size` most recently used keys."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable, default: Any = None) -> Any:
        if key not in self._d:
            return default
        self._d.move_to_end(key)
        return self._d[key]

    def __setitem__(self, key: Hashable, value: V) -> None:
        self._d[key] = value
        self._d.move_to_end(key)
        while len(self._d) > self.size:
            self._d.popitem(last=False)

    def __getitem__(self, key: Hashable) -> V:
        value = self._d[key]
        self._d.move_to_end(key)
        return value

    def __contains__(self, key: Hashable) -> bool:
        return key in self._d

    def pop(self, key: Hashable, default: Any = None) -> Any:
        return self._d.pop(key, default)

    def __len__(self) -> int:
        return len(self._d)

    def clear(self) -> None:
        self._d.clear()


class PerObject(Generic[V]):
    """A value computed from an immutable object, for the `size` most recently used objects.

    Keyed by identity, not equality: hashing a whole IR tree on every lookup would cost more
    than the value. The object is held with its value, so an id is never reused while its
    entry lives (a freed object's id can be given to a new one)."""

    def __init__(self, size: int):
        self._lru: LRU[tuple[Any, V]] = LRU(size)

    def get(self, obj: Any) -> V | None:
        hit = self._lru.get(id(obj))
        return hit[1] if hit is not None and hit[0] is obj else None

    def put(self, obj: Any, value: V) -> V:
        self._lru[id(obj)] = (obj, value)
        return value

    def __len__(self) -> int:
        return len(self._lru)

    def clear(self) -> None:
        self._lru.clear()
