"""``@value``: the record types of the per-request path (a plan, an attempt, a usage, a choice...).

A slotted dataclass that type checkers hold frozen (assigning to a field is an error under ``make check``'s mypy)
and that hashes like a frozen one, but whose instances are made without frozen's ``object.__setattr__`` for each
field: about half the cost of a frozen dataclass, on types made a dozen times a request. Configuration (the world,
the settings, the profiles) stays ``@dataclass(frozen=True)``, checked at run time too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, dataclass_transform, overload

__all__ = ["Recent", "keep_recent", "once", "value"]

T = TypeVar("T")
K = TypeVar("K")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)


class once(Generic[T]):
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first read, which costs more
    than most of what the per-request path caches): the value is worked out on first read and kept in the
    instance's ``__dict__``, where later reads find it before this descriptor."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn, self.name = fn, fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> once[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> once[T] | T:
        if obj is None:
            return self
        found: T = self.fn(obj)
        obj.__dict__[self.name] = found
        return found


class Recent(Generic[T]):
    """What was worked out from objects compared by identity (their hash would cost more than the work, or they
    have none): ``key`` holds their ids (and any plain values), ``held`` the objects themselves, kept alive by the
    entry so that an id cannot be reused while it is held. At most ``size`` entries, forgotten all at once: few, since
    what a cache holds slows every request a little (this machine: 4,096 accountings held cost a chat 15 us)."""

    __slots__ = ("_items", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: dict[Hashable, tuple[tuple[object, ...], T]] = {}

    def get(self, key: Hashable, *held: object) -> T | None:
        found = self._items.get(key)
        # the same objects (or, where a freed one's id was reused, equal ones: the work is a function of values)
        return found[1] if found is not None and found[0] == held else None

    def put(self, key: Hashable, result: T, *held: object) -> T:
        if len(self._items) >= self.size:
            self._items.clear()
        self._items[key] = (held, result)
        return result

    def clear(self) -> None:
        self._items.clear()


def keep_recent(items: OrderedDict[K, T], key: K, value: T, size: int) -> None:
    """Write ``items[key]`` as the most recently written, forgetting the least recently written past ``size``: the
    one bound of the mock's recency-ordered caches (the memo, the prompt caches, the generation records, a pinned
    clock's counts)."""
    items[key] = value
    items.move_to_end(key)
    while len(items) > size:
        items.popitem(last=False)
