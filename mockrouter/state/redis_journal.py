"""The journal of several workers, in the shared Redis store.

Ids come from one counter (``INCRBY``: ``RedisState.begin`` reserves, with the journal's epoch, as many as the event
loop's last turn served), so they are unique and in arrival order across workers: a request that arrived after
another's response has a greater id (a turn that serves fewer than it reserved leaves a gap, as an admin call does).
An entry is written (pickled) when it is still open at the event loop's next turn (to a hash of requests in flight:
a stream's; a request answered within its turn never writes it) and when it closes (posted before its response is
sent, without waiting for the reply: to a list capped at ``size``). Both belong to the epoch the entry was opened
in; clearing starts a new epoch, so entries opened before it are not seen when they close, as an in-memory journal
would forget them (and no script is needed). Each entry records the ``worker`` (process id) that served it.
"""

from __future__ import annotations

import operator
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any

from mockrouter.kinds import Outcome
from mockrouter.state.journal import Entry, Journal
from mockrouter.state.store import Store

__all__ = ["STORE_RESET_PATH", "RedisJournal"]

#: the path of the journal's marker entry for a store found emptied (``mark_reset``)
STORE_RESET_PATH = "/__mockrouter/store-reset"


class RedisJournal(Journal):
    def __init__(self, store: Store, size: int = 1000) -> None:
        super().__init__(size)
        self.store = store
        self._ids_key, self._epoch_key, self._closed = store.key("ids"), store.key("j-epoch"), store.key("j-total")
        self._open: dict[int, Entry] = {}
        self._epochs: dict[int, int] = {}  # open entry id -> the epoch it was opened in
        self._epoch = 0  # the epoch of the entry being opened
        self._unsent: dict[int, Callable[[], tuple[Any, ...]]] = {}
        self._count, self._trims = store.pack("INCR", self._closed), dict[int, bytes]()  # encoded once

    def _list(self, epoch: int) -> str:
        return self.store.key("j", str(epoch))

    def _flight(self, epoch: int) -> str:
        return self.store.key("j-open", str(epoch))

    @property
    def total(self) -> int:
        """Entries ever recorded (complete ones: the in-memory journal also counts those in flight)."""
        return int(self.store.run(("GET", self._closed))[0] or 0)

    def _next_id(self) -> int:
        found, self.store.next_entry = self.store.next_entry, None
        if found is None:
            next_id, epoch = self.store.run(("INCR", self._ids_key), ("GET", self._epoch_key))
            found = int(next_id), int(epoch or 0)
        self._epoch = found[1]
        return found[0]

    def _add(self, entry: Entry) -> None:
        entry.worker = os.getpid()
        self._open[entry.id] = entry
        flight = self._flight(self._epoch)
        self._epochs[entry.id] = self._epoch
        self._unsent[entry.id] = self.store.idle(lambda: ("HSET", flight, entry.id, _dumps(entry)))

    def close(self, entry: Entry) -> None:
        super().close(entry)
        self._open.pop(entry.id, None)
        epoch = self._epochs.pop(entry.id, self._epoch)
        unsent = self._unsent.pop(entry.id, None)
        if unsent is None or not self.store.unqueue(unsent):  # it went to the requests in flight
            self.store.later(("HDEL", self._flight(epoch), entry.id))
        entries = self._list(epoch)
        trim = self._trims.get(epoch) or self._trims.setdefault(
            epoch, self.store.pack("LTRIM", entries, -self.size, -1)
        )
        self.store.later(self._count, ("RPUSH", entries, _dumps(entry)), trim)
        self.store.post()  # before the response is written: with the request's other writes, in order

    def mark_reset(self, when: float) -> None:
        """A marker entry: the store was found emptied at ``when`` and started again from the fixtures."""
        entry = self.open("-", STORE_RESET_PATH, {}, {})
        entry.time, entry.outcome = when, Outcome.ERROR
        entry.error = "the shared store (Redis) was found empty: state and journal started again from the fixtures"
        self.close(entry)

    def clear(self) -> None:
        self.store.end_turn()  # the epoch read this turn is over
        epoch = int(self.store.run(("INCR", self._epoch_key))[0])
        keep = {self._list(epoch).encode(), self._flight(epoch).encode()}
        old = [n for p in ("j:*", "j-open:*") for n in self.store.scan(self.store.key(p)) if n not in keep]
        if old:
            self.store.run(("UNLINK", *old))
        self._open.clear()
        self._epochs.clear()
        self._trims.clear()

    def _current(self, *reads: Callable[[int], tuple[Any, ...]]) -> tuple[int, list[Any]]:
        epoch = int(self.store.run(("GET", self._epoch_key))[0] or 0)
        return epoch, self.store.run(*(read(epoch) for read in reads))

    def entries(self) -> Sequence[Entry]:
        epoch, (raw, flight) = self._current(
            lambda e: ("LRANGE", self._list(e), 0, -1), lambda e: ("HVALS", self._flight(e))
        )
        by_id = {e.id: e for e in map(_loads, flight)}
        mine = (e for e in self._open.values() if self._epochs.get(e.id) == epoch)
        by_id.update((e.id, e) for e in mine)  # this worker's are newer
        by_id.update((e.id, e) for e in map(_loads, raw))  # complete ones win
        return sorted(by_id.values(), key=lambda e: e.id)[-self.size :]

    def __len__(self) -> int:
        _, (stored, flight) = self._current(lambda e: ("LLEN", self._list(e)), lambda e: ("HLEN", self._flight(e)))
        return min(self.size, int(stored) + int(flight))


_FIELDS = tuple(f.name for f in fields(Entry))
_values = operator.attrgetter(*_FIELDS)


def _dumps(entry: Entry) -> bytes:
    """The entry's field values, pickled (as they are: ``Entry.as_dict`` deep-copies, and JSON costs far more)."""
    return pickle.dumps(_values(entry), pickle.HIGHEST_PROTOCOL)


def _loads(raw: bytes) -> Entry:
    return Entry(*pickle.loads(raw))
