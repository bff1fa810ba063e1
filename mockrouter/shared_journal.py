"""The journal of several workers, in the shared Redis store.

Ids come from one counter (``INCR``; ``RedisState.begin`` fetches the next one in its round trip), so they are
unique and in arrival order across workers. An entry is written as JSON when it is still open at the event loop's
next turn (to a hash of requests in flight: a stream's; a request answered within its turn never writes it) and
when it closes (posted before its response is sent, without waiting for the reply: to a list capped at ``size``).
Clearing sets a floor: entries opened before it are not stored when they close, as an in-memory journal would
forget them. Each entry records the ``worker`` (process id) that served it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from mockrouter.journal import Entry, Journal
from mockrouter.store import Store

__all__ = ["RedisJournal"]

# KEYS: entries, floor, closed count, in flight; ARGV: id, entry, size
_PUSH = """
redis.call('INCR', KEYS[3])
redis.call('HDEL', KEYS[4], ARGV[1])
if tonumber(ARGV[1]) <= tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
return 1
"""
# KEYS: entries, floor, ids, in flight
_CLEAR = """
redis.call('SET', KEYS[2], redis.call('GET', KEYS[3]) or '0')
redis.call('DEL', KEYS[1], KEYS[4])
return 1
"""


class RedisJournal(Journal):
    def __init__(self, store: Store, size: int = 1000) -> None:
        super().__init__(size)
        self.store = store
        self._list, self._floor, self._ids_key = store.key("j"), store.key("j-floor"), store.key("ids")
        self._closed, self._flight = store.key("j-total"), store.key("j-open")
        self._open: dict[int, Entry] = {}
        self._unsent: dict[int, Callable[[], tuple[Any, ...]]] = {}

    @property
    def total(self) -> int:
        """Entries ever recorded (complete ones: the in-memory journal also counts those in flight)."""
        return int(self.store.run(("GET", self._closed))[0] or 0)

    def _next_id(self) -> int:
        next_id, self.store.next_id = self.store.next_id, None
        if next_id is None:
            next_id = int(self.store.run(("INCR", self._ids_key))[0])
        return next_id

    def _add(self, entry: Entry) -> None:
        entry.worker = os.getpid()
        self._open[entry.id] = entry
        self._unsent[entry.id] = self.store.idle(lambda: ("HSET", self._flight, entry.id, _dumps(entry)))

    def close(self, entry: Entry) -> None:
        super().close(entry)
        self._open.pop(entry.id, None)
        unsent = self._unsent.pop(entry.id, None)
        if unsent is not None:
            self.store.unqueue(unsent)
        keys = [self._list, self._floor, self._closed, self._flight]
        self.store.later(*self.store.eval(_PUSH, keys, entry.id, _dumps(entry), self.size))
        self.store.post()  # before the response is written: with the request's other writes, in order

    def clear(self) -> None:
        self.store.run(self.store.eval(_CLEAR, [self._list, self._floor, self._ids_key, self._flight]))
        self._open.clear()

    def entries(self) -> Sequence[Entry]:
        raw, flight, floor = self.store.run(
            ("LRANGE", self._list, 0, -1), ("HVALS", self._flight), ("GET", self._floor)
        )
        floor_id = int(floor or 0)
        by_id = {e.id: e for e in (Entry(**json.loads(r)) for r in flight) if e.id > floor_id}
        by_id.update((e.id, e) for e in self._open.values() if e.id > floor_id)  # this worker's are newer
        by_id.update((e.id, e) for e in (Entry(**json.loads(r)) for r in raw))  # complete ones win
        return sorted(by_id.values(), key=lambda e: e.id)[-self.size :]

    def __len__(self) -> int:
        stored, flight = self.store.run(("LLEN", self._list), ("HLEN", self._flight))
        return min(self.size, int(stored) + int(flight))


_FIELDS = tuple(f.name for f in fields(Entry))


def _dumps(entry: Entry) -> str:
    """The entry as JSON (its fields as they are: ``Entry.as_dict`` deep-copies, which costs far more)."""
    return json.dumps({name: getattr(entry, name) for name in _FIELDS}, separators=(",", ":"), default=str)
