"""``@value``: the record types of the per-request path (a plan, an attempt, a usage, a choice...).

A slotted dataclass that type checkers hold frozen (assigning to a field is an error under ``make check``'s mypy)
and that hashes like a frozen one, but whose instances are made without frozen's ``object.__setattr__`` for each
field: about half the cost of a frozen dataclass, on types made a dozen times a request. Configuration (the world,
the settings, the profiles) stays ``@dataclass(frozen=True)``, checked at run time too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

__all__ = ["value"]

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value(cls: type[T]) -> type[T]:
    return dataclass(slots=True, unsafe_hash=True)(cls)
