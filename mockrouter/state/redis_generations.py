"""Generation records in the shared Redis store (``GET /generation`` on any worker finds any worker's).

Each worker keeps the last ``size`` records it made (plain writes, no script: the store holds at most workers x
``size``) in one hash, pickled: a record's overlay and its template's pickle (``protocol.LayeredRecord``) (a template is
shared by repeated requests: pickled once). Later changes to a record (a stream's finish, from the worker that
made it) go to a hash of their own per generation, as JSON, applied by a Lua script only while the record exists.
"""

from __future__ import annotations

import functools
import json
import pickle
from collections import ChainMap, deque
from collections.abc import MutableMapping
from typing import Any, cast

from mockrouter.state.protocol import LayeredRecord
from mockrouter.state.redis_keys import text
from mockrouter.state.scripts import UPDATE
from mockrouter.state.store import Encodings, Store, pairs

__all__ = ["GenerationRecords"]

_PICKLE = pickle.HIGHEST_PROTOCOL


class GenerationRecords:
    """This worker's generation records in ``store`` (and every worker's, to read)."""

    def __init__(self, store: Store, size: int) -> None:
        self.store, self.size = store, size
        self._gens = store.key("s", "gens")
        self._remembered: deque[str] = deque()  # the generations this worker made, oldest first
        self._updated: set[str] = set()  # those it changed since (a stream's finish: its own worker's)
        self._templates = Encodings(functools.partial(pickle.dumps, protocol=_PICKLE))

    def _updates_key(self, gen_id: str) -> str:
        return self.store.key("s", "gen", gen_id)

    def remember(self, gen_id: str, record: MutableMapping[str, Any]) -> None:
        """Queue the record's write, and the removal of the oldest this worker keeps beyond ``size``."""
        overlay = getattr(record, "overlay", None)  # a LayeredRecord (isinstance on a Protocol costs ~10 us)
        if overlay is not None:
            raw = pickle.dumps((overlay(), self._templates(cast(LayeredRecord, record).template)), _PICKLE)
        else:
            raw = pickle.dumps((dict(record), None), _PICKLE)
        self.store.later(("HSET", self._gens, gen_id, raw))
        self._remembered.append(gen_id)
        if len(self._remembered) > self.size:
            old = self._remembered.popleft()
            self.store.later(("HDEL", self._gens, old))
            if old in self._updated:
                self._updated.discard(old)
                self.store.later(("DEL", self._updates_key(old)))

    def get(self, gen_id: str) -> MutableMapping[str, Any] | None:
        raw, updates = self.store.run(("HGET", self._gens, gen_id), ("HGETALL", self._updates_key(gen_id)))
        if raw is None:
            return None
        overlay, template = pickle.loads(raw)
        record: dict[str, Any] = dict(ChainMap(overlay, pickle.loads(template))) if template is not None else overlay
        record.update({text(k): json.loads(v) for k, v in pairs(updates).items()})
        return record

    def update(self, gen_id: str, **fields: Any) -> None:
        changes = [x for name, value in fields.items() for x in (name, json.dumps(value))]
        self.store.later(self.store.eval(UPDATE, [self._gens, self._updates_key(gen_id)], gen_id, *changes))
        self._updated.add(gen_id)
