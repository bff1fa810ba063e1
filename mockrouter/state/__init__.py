"""Runtime state: the :class:`State` protocol and its values (``protocol``), the in-memory implementation
(``memory``), the Redis one for several workers (``redis``), and the request journal (``journal``).

The engine imports this facade (or ``protocol`` and ``journal``), never an implementation."""

from __future__ import annotations

from mockrouter.state.journal import Entry, Journal, key_digest, redact
from mockrouter.state.protocol import AccountState, KeyState, Snapshot, State, StoreUnavailable
from mockrouter.world import World

__all__ = [
    "AccountState",
    "Entry",
    "Journal",
    "KeyState",
    "Snapshot",
    "State",
    "StoreUnavailable",
    "in_memory",
    "key_digest",
    "redact",
]


def in_memory(world: World, generations_size: int = 10_000, seed: int = 0, time_scale: float = 1.0) -> State:
    """A fresh in-memory state of ``world`` (one worker)."""
    from mockrouter.state.memory import MemoryState

    return MemoryState(world, generations_size, seed, time_scale)
