"""``State`` over a shared Redis store, so that several workers act as one mock.

A request costs at most one round trip and one write (``Store.run`` sends queued writes along with every read):

- ``begin(token)``: the settings version, journal ids and epoch, the scenario states and stub hits that some stub
  depends on (``requires``, ``times``), and the caller's key state: the key's and its account's hashes and the
  account's free-model day window (``key_state`` takes them). Runtime settings, stubs and faults are cached in the
  worker and reloaded only when the version moved. What it read holds for the rest of the event loop's turn: the
  other requests of that turn (they all arrived before the read) take reserved ids and the key states read, with
  this worker's own debits since; a key not read yet in the turn costs a round trip of its own.
- the journal's ``close`` then posts the request's writes without waiting for the reply: the debit, the stub hit,
  the generation, the entry (one connection: they apply in order, before any later command of this worker's).

Money is integer pico-dollars (``HINCRBY``), so credits add up exactly however many workers debit them.
Check-and-update steps are Lua scripts: a paid request's charge (the account's balance checked against the most
the request can cost, and debited, in one step: a round trip of its own), free-model windows and ``times``-limited
faults. Keys are hashed
(``journal.key_digest``): no full API key is written to the store, but for the keys the mock itself created
(``POST /keys``: see ``redis_keys``). Runtime stubs (a stub holds compiled
patterns), generation records and journal entries are stored pickled (faster than JSON); the store is the mock's own,
trusted like its fixture files.

Keys and accounts in the store are :mod:`~mockrouter.state.redis_keys` (``KeyRecords``); generation records
:mod:`~mockrouter.state.redis_generations` (``GenerationRecords``: each worker keeps the last ``generations_size``
it made; any worker finds any of them).

A Redis found empty as a worker reconnects (``Store.reconnected``) is started from the world in one step (``restore``)
and announced; a store that kept its state is reloaded. A process started on a store holding state joins it.

Known limit: a stub is chosen from the scenario states read at ``begin()``; two requests racing on two
workers for the same scenario transition may both see the old state (one worker never races itself).
"""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from typing import Any

from mockrouter.faults import Fault
from mockrouter.state.memory import MemoryState
from mockrouter.state.protocol import AccountState, KeyState
from mockrouter.state.redis_generations import GenerationRecords
from mockrouter.state.redis_keys import KeyRecords, text
from mockrouter.state.scripts import RESTORE, TAKE, pickle_stub
from mockrouter.state.store import Commands, Store, pairs
from mockrouter.world import ByokKey, Key, Stub, World

__all__ = ["RedisState"]

log = logging.getLogger("mockrouter")

_PREFETCH_S = 0.05
_IDS_MAX = 64  # journal ids a turn reserves at most in one go


class RedisState(MemoryState):
    """The state of every worker sharing ``store``; ``fresh`` starts it again from the world, else a store holding
    no state starts from the world (announced with ``announce``: see ``restore``) and one holding state is joined."""

    def __init__(
        self,
        world: World,
        store: Store,
        generations_size: int = 10_000,
        seed: int = 0,
        time_scale: float = 1.0,
        fresh: bool = False,
        announce: bool = False,
        on_store_reset: Callable[[float], None] | None = None,
    ) -> None:
        self.world, self.store = world, store
        self.generations_size = generations_size
        self.initial_seed, self.initial_time_scale = seed, time_scale
        self.seed, self.time_scale = seed, time_scale
        self.started = time.monotonic()
        self.down: set[str] = set()
        self.runtime_stubs: list[Stub] = []
        self.runtime_faults: list[Fault] = []
        self.scenarios: dict[str, str] = {}
        self.store_reset: float | None = None  # read by ``_load``
        self.on_store_reset = on_store_reset  # see ``restore``
        self.stub_hits: dict[str, int] = {}
        self._version: bytes | None = None
        self.epoch = 0
        # prompt caches and the routing that sticks to them stay in each worker (a cache hit is a per-worker
        # optimisation of the provider's, so a miss on another worker is what a real provider might answer too)
        self.caches: dict[tuple[str, str], OrderedDict[str, float]] = {}
        self.sticky: dict[tuple[str, str], tuple[str, float]] = {}
        self._clock = (time.monotonic(), 0.0)
        MemoryState.changed(self)
        self._key_records = KeyRecords(world, store)
        self._generations = GenerationRecords(store, generations_size)
        k = store.key
        self._v, self._ids, self._journal_epoch, self._conf = k("v"), k("ids"), k("j-epoch"), k("s", "conf")
        self._stubs, self._faults, self._fault_hits = k("s", "stubs"), k("s", "faults"), k("s", "fault-hits")
        self._scenarios, self._hits, self._reset_at = k("s", "scenarios"), k("s", "stub-hits"), k("store-reset")
        self._watch_scenarios, self._watch_hits = True, tuple[str, ...]()
        self._prefetched: tuple[str, float, list[Any]] | None = None  # a key state read by ``begin``, and when
        # the event loop's turn whose reads hold (``begin``): its number (``Store.turn``), journal epoch, reserved
        # ids [next, end), key states; how many ids the last turn took and how many requests this one served
        self._turn: int | None = None
        self._turn_epoch, self._next_id, self._end_id, self._want, self._served = 0, 0, 0, 1, 0
        self._key_states: dict[str, KeyState] = {}
        self._head = store.pack("GET", self._v), store.pack("GET", self._journal_epoch)
        self._reserve: dict[int, bytes] = {}  # INCRBY ids n, encoded
        self.started_store = fresh or self.restore(announce)  # whether this state started the store from the world
        if fresh:
            self.reset()

    def restore(self, announce: bool = True) -> bool:
        """Start the store from the world if it holds no state (whether it did), then reload. ``announce``: it was
        emptied under the mock (a Redis restarted empty): a warning, ``store_reset`` and ``on_store_reset(when)``."""
        now = time.time()
        keys = [self._conf, self._v, self._reset_at]
        seed, time_scale = self.initial_seed, repr(float(self.initial_time_scale))
        started = bool(self.store.run(self.store.eval(RESTORE, keys, seed, time_scale, repr(now), int(announce)))[0])
        if started and announce:
            log.warning(
                "mockrouter: the shared store was found empty (Redis restarted without its data): runtime state "
                "(seed, credits, usage, keys, stubs, faults, scenarios) and the journal start again from the fixtures"
            )
            if self.on_store_reset is not None:
                self.on_store_reset(now)
        self._load()
        return started

    # ------------------------------------------------------------------ refresh

    def begin(self, token: str | None = None) -> None:
        """One round trip: the version (reload settings, stubs and faults if it moved), journal ids and the
        journal's epoch (``RedisJournal.open`` takes them; an admin call leaves a gap in the ids), the scenario states
        and stub hits that some stub depends on (every one without ``token``: an admin call), and ``token``'s key
        state (``key_state`` takes it).

        What it reads holds for the rest of the event loop's turn (``Store.turn``): every request served in that turn
        arrived before the turn's first read, so anything another worker did before answering what led to them is in
        it. The turn's other requests take the next of the ids it reserved and its key states (with this worker's own
        debits since); a key not read yet costs a round trip of its own."""
        store = self.store
        if store.reconnected:  # after an outage: did the store keep its state?
            store.reconnected = False
            store.next_entry = None
            self.restore()
        in_turn = token is not None and self._turn == store.turn
        if token is not None:
            self._served += 1
        if token is not None and in_turn and self._next_id < self._end_id:
            store.next_entry = self._next_id, self._turn_epoch
            self._next_id += 1
            self._prefetched = None
            if token not in self._key_states:
                self._prefetched = (token, time.monotonic(), store.run(*self._key_records.reads(token, time.time())))
            return
        if in_turn:  # the turn used up its ids: twice as many
            want = min(_IDS_MAX, 2 * self._want)
        else:  # as many as the last turn served
            want = max(1, min(_IDS_MAX, self._served - 1)) if token is not None else 1
            self._served = 1 if token is not None else 0
            self._key_states = {}
        self._turn, self._want = None, want
        watch_scenarios, watch_hits = token is None or self._watch_scenarios, self._watch_hits
        reserve = self._reserve.get(want) or self._reserve.setdefault(want, store.pack("INCRBY", self._ids, want))
        commands: list[Commands] = [self._head[0], reserve, self._head[1]]
        if watch_scenarios:
            commands.append(("HGETALL", self._scenarios))
        if token is None:
            commands.append(("HGETALL", self._hits))
        elif watch_hits:
            commands.append(("HMGET", self._hits, *watch_hits))
        if token is not None:
            commands += self._key_records.reads(token, time.time())
        results = store.run(*commands)
        version, last_id, epoch = results[0], int(results[1]), int(results[2] or 0)
        store.next_entry = last_id - want + 1, epoch
        self._next_id, self._end_id = last_id - want + 2, last_id + 1
        if token is not None:
            self._open_turn(epoch)
        before = self._watched() if watch_scenarios or watch_hits else None
        i = 3
        if watch_scenarios:
            self.scenarios = {text(k): text(v) for k, v in pairs(results[i]).items()}
            i += 1
        if token is None:
            self.stub_hits = {text(k): int(v) for k, v in pairs(results[i]).items()}
            i += 1
        elif watch_hits:
            hits = self.stub_hits = dict(self.stub_hits)
            for name, raw in zip(watch_hits, results[i], strict=True):
                if raw is None:
                    hits.pop(name, None)
                else:
                    hits[name] = int(raw)
            i += 1
        if before is not None and self._watched() != before:
            self.changed()  # another worker moved a scenario on or used up a stub: earlier outcomes may not hold
        self._prefetched = (token, time.monotonic(), results[i:]) if token is not None else None
        if version != self._version:
            self._load()

    def _open_turn(self, epoch: int) -> None:
        """What ``begin`` read holds until the event loop's next turn (see ``begin``)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop: no turn (every request reads afresh)
            return
        self._turn, self._turn_epoch = self.store.turn, epoch
        self.store.hold_turn()

    def _watched(self) -> tuple[Any, ...]:
        """The scenario states and stub hits that a request's outcome depends on (stubs' ``requires`` and ``times``)."""
        scenarios = tuple(sorted(self.scenarios.items())) if self._watch_scenarios else tuple[Any, ...]()
        return scenarios, tuple(self.stub_hits.get(name, 0) for name in self._watch_hits)

    def _load(self) -> None:
        self._turn = None  # this worker changed what the turn read
        version, conf, stubs, faults, reset_at = self.store.run(
            ("GET", self._v),
            ("HGETALL", self._conf),
            ("HGETALL", self._stubs),
            ("LRANGE", self._faults, 0, -1),
            ("GET", self._reset_at),
        )
        self._version = version
        self.store_reset = float(reset_at) if reset_at else None
        conf, stubs = pairs(conf), pairs(stubs)
        self.seed = int(conf.get(b"seed", self.initial_seed))
        self.time_scale = float(conf.get(b"time_scale", self.initial_time_scale))
        self.down = set(json.loads(conf.get(b"down", b"[]")))
        started = float(conf.get(b"started", time.time()))
        self.started = time.monotonic() - (time.time() - started)
        ordered = sorted((pickle.loads(raw) for raw in stubs.values()), key=lambda pair: pair[0])
        self.runtime_stubs = [stub for _, stub in ordered]
        self.runtime_faults = [Fault(**json.loads(raw)) for raw in faults]
        every = [*self.runtime_stubs, *self.world.stubs]
        self._watch_scenarios = any(stub.requires is not None for stub in every)
        self._watch_hits = tuple(sorted({stub.name for stub in every if stub.times is not None}))
        self._key_records.registered.clear()
        self._key_records.forget()
        self._prefetched = None
        self.changed()

    def _changed(self, *writes: tuple[Any, ...]) -> list[Any]:
        """Apply ``writes``, move the version on (every worker reloads) and reload here."""
        results = self.store.run(*writes, ("INCR", self._v))
        self._load()
        return results

    def reset(self) -> None:
        self.store.delete_state()
        self.scenarios, self.stub_hits = {}, {}
        self.caches, self.sticky = {}, {}
        started = repr(time.time())
        time_scale = repr(float(self.initial_time_scale))
        self._changed(("HSET", self._conf, "seed", self.initial_seed, "time_scale", time_scale, "started", started))

    def update_settings(
        self, seed: int | None = None, time_scale: float | None = None, down: set[str] | None = None
    ) -> None:
        fields: list[Any] = []
        if seed is not None:
            fields += ["seed", int(seed)]
        if time_scale is not None:
            fields += ["time_scale", repr(float(time_scale))]
        if down is not None:
            fields += ["down", json.dumps(sorted(down))]
        if fields:
            self._changed(("HSET", self._conf, *fields))

    # ------------------------------------------------------------------ accounts and keys

    def known_key(self, token: str) -> bool:
        return self._key_records.known(token)

    def account(self, account_id: str) -> AccountState | None:
        return self._key_records.account(account_id)

    def all_accounts(self) -> list[AccountState]:
        return self._key_records.all_accounts()

    def key_state(self, token: str) -> KeyState:
        in_turn = self._turn == self.store.turn
        if in_turn and token in self._key_states:  # read this turn (with this worker's debits since)
            return self._key_states[token]
        prefetched, self._prefetched = self._prefetched, None
        # the request's own: taken in the same call as ``begin``, never one a request left unused
        if prefetched is not None and prefetched[0] == token and time.monotonic() - prefetched[1] < _PREFETCH_S:
            read = prefetched[2]
        else:
            read = self.store.run(*self._key_records.reads(token, time.time()))
        ks = self._key_records.key_state(token, read)
        if in_turn:
            self._key_states[token] = ks
        return ks

    def update_key(self, token: str, **changes: Any) -> KeyState:
        self._turn = None  # this worker changed what the turn read
        replace(self._key_records.token(token).base, **changes)  # unknown fields fail here, as in memory
        self.key_state(token)
        key_key = self._key_records.key_key(token)
        raw = self.store.run(("HGET", key_key, "conf"))[0]
        conf = {**(json.loads(raw) if raw else {}), **changes}
        self._changed(("HSET", key_key, "conf", json.dumps(conf)))  # every worker forgets worked-out outcomes
        return self.key_state(token)

    def create_key(self, key: Key) -> KeyState:
        self._turn = None  # this worker changed what the turn read
        self._key_records.create(key)
        return self.key_state(key.key)

    def account_keys(self, account_id: str) -> list[KeyState]:
        declared = [k.key for k in self.world.keys.values() if k.account == account_id]
        states = [self.key_state(t) for t in [*declared, *self._key_records.created_tokens(account_id)]]
        return [ks for ks in states if not ks.key.deleted and not ks.key.management]

    def delete_key(self, token: str) -> None:
        self.update_key(token, deleted=True)

    def set_byok(self, account_id: str, byok: dict[str, ByokKey]) -> None:
        self._changed(*self._key_records.byok_writes(account_id, byok))

    def charge(self, ks: KeyState, cost: float, byok_cost: float = 0.0, most: float = 0.0) -> float | None:
        """Queue the debit (it goes with the journal entry's write, before the response). With ``most``, the account's
        check and debit are one step in the store, whatever other workers spend meanwhile (a round trip)."""
        if most > 0:
            short = self._key_records.debit_within(ks, most, cost)
            if short is not None:
                return short
        super().charge(ks, cost, byok_cost)  # the request's own view, as in memory
        self._key_records.debit(ks, cost, byok_cost, account=most <= 0)
        return None

    def set_credits(self, account_id: str, credits: float | None = None, usage: float | None = None) -> AccountState:
        self._turn = None  # this worker changed what the turn read
        return self._key_records.set_credits(account_id, credits, usage)

    def free_request(self, account: AccountState, per_minute: int, per_day: int, now: float) -> tuple[str, int] | None:
        return self._key_records.free_request(account, per_minute, per_day, now)

    # ------------------------------------------------------------------ scenarios, stubs and faults

    def set_scenario(self, name: str, value: str) -> None:
        self._turn = None  # this worker changed what the turn read
        self.store.run(("HSET", self._scenarios, name, value))
        self.scenarios[name] = value
        self.changed()

    def reset_scenarios(self, name: str | None = None) -> None:
        self._turn = None  # this worker changed what the turn read
        self.store.run(("DEL", self._scenarios) if name is None else ("HDEL", self._scenarios, name))
        super().reset_scenarios(name)

    def add_stubs(self, stubs: list[Stub]) -> None:
        if stubs:
            now = time.time_ns()
            pairs = [(s.name, pickle_stub((now + i, s))) for i, s in enumerate(stubs)]
            self._changed(("HSET", self._stubs, *(x for pair in pairs for x in pair)))

    def remove_stubs(self, name: str | None = None) -> int:
        if name is not None:
            return int(self._changed(("HDEL", self._stubs, name))[0])
        return int(self._changed(("HLEN", self._stubs), ("DEL", self._stubs))[0])

    def stub_hit(self, stub: Stub) -> None:
        super().stub_hit(stub)
        self.store.later(("HINCRBY", self._hits, stub.name, 1))
        if stub.scenario and stub.sets:
            self.store.later(("HSET", self._scenarios, stub.scenario, stub.sets))

    def add_fault(self, fault: Fault) -> None:
        self._changed(("RPUSH", self._faults, json.dumps(fault.as_dict())))

    def clear_faults(self) -> None:
        self._changed(("DEL", self._faults))

    def fault_hit_count(self, fault_id: str) -> int:
        return int(self.store.run(("HGET", self._fault_hits, fault_id))[0] or 0)

    def take_fault(self, fault: Fault) -> bool:
        if fault.times is None:
            return True
        script = self.store.eval(TAKE, [self._fault_hits], fault.id or repr(fault), fault.times)
        return bool(self.store.run(script)[0])

    # ------------------------------------------------------------------ generations

    def remember(self, gen_id: str, record: MutableMapping[str, Any]) -> None:
        self._generations.remember(gen_id, record)

    def generation(self, gen_id: str) -> MutableMapping[str, Any] | None:
        return self._generations.get(gen_id)

    def update_generation(self, gen_id: str, **fields: Any) -> None:
        self._generations.update(gen_id, **fields)
