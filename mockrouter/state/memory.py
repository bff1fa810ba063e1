"""The only mutable shared object: accounts' credit and usage, key usage, scenario states, fault and stub
counters, free-model rate windows, generations, runtime stubs/faults and runtime settings (seed, time
scale, providers down).

Everything outside this module goes through the methods of the ``State`` protocol (``state.protocol``), never its containers: that is the state
interface a shared store implements for several workers (``mockrouter.state.redis``). One event loop means
every method here runs without an ``await`` in the middle, so a check-and-debit is atomic: 100 concurrent
requests can neither lose nor double a debit. ``snapshot()`` is what the pure planner sees. ``reset()``
goes back to the world's initial state.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from mockrouter.faults import Fault
from mockrouter.state.protocol import DAY as _DAY
from mockrouter.state.protocol import AccountState, KeyState, Snapshot
from mockrouter.values import keep_recent
from mockrouter.world import Account, ByokKey, Key, Stub, World

__all__ = ["CACHED_PREFIXES", "MemoryState"]

#: prefixes a prompt cache (an account's, on one endpoint) holds at most: the least recently written go first
CACHED_PREFIXES = 4096
_NO_CACHE: Mapping[str, float] = {}


class MemoryState:
    """The in-memory :class:`~mockrouter.state.protocol.State` of one worker."""

    store_reset: float | None = None  # a store of its own is never emptied under it

    def __init__(self, world: World, generations_size: int = 10_000, seed: int = 0, time_scale: float = 1.0) -> None:
        self.world = world
        self.generations_size = generations_size
        self.initial_seed, self.initial_time_scale = seed, time_scale
        self.epoch = 0
        self.reset()

    def begin(self, token: str | None = None) -> None:
        """Called as each request arrives, with the caller's bearer token when there is one (a shared store
        refreshes what other workers changed, and reads the key's state in the same round trip)."""

    def changed(self) -> None:
        """Something a request's outcome depends on changed (stubs, faults, scenarios, settings, keys): the
        pipeline's memo of earlier outcomes (``epoch``-stamped) no longer holds."""
        self.epoch += 1
        self._sorted_stubs: list[Stub] | None = None
        self._header_names: tuple[str, ...] | None = None

    def reset(self) -> None:
        self.changed()
        self.started = time.monotonic()
        self.seed = self.initial_seed
        self.time_scale = self.initial_time_scale
        self.accounts: dict[str, AccountState] = {}
        self.keys: dict[str, KeyState] = {}
        self.created_keys: dict[str, list[str]] = {}  # account id -> the tokens the management API created
        self.scenarios: dict[str, str] = {}
        self.fault_hits: dict[str, int] = {}
        self.stub_hits: dict[str, int] = {}
        self.runtime_stubs: list[Stub] = []
        self.runtime_faults: list[Fault] = []
        self.down: set[str] = set()
        self.generations: OrderedDict[str, MutableMapping[str, Any]] = OrderedDict()
        #: (account, endpoint tag) -> digest -> expiry, least recently written first
        self.caches: dict[tuple[str, str], OrderedDict[str, float]] = {}
        self.sticky: dict[tuple[str, str], tuple[str, float]] = {}  # (account, model) -> (endpoint tag, expiry)
        self._clock = (time.monotonic(), 0.0)  # (real time, mock time) at the last reading
        for account in self.world.accounts.values():
            self.accounts[account.id] = self._account(account)

    # ------------------------------------------------------------------ runtime settings

    def update_settings(
        self, seed: int | None = None, time_scale: float | None = None, down: set[str] | None = None
    ) -> None:
        self.mock_time()  # the mock's clock runs at the old scale up to now
        if seed is not None:
            self.seed = seed
        if time_scale is not None:
            self.time_scale = time_scale
        if down is not None:
            self.down = set(down)
        self.changed()

    # ------------------------------------------------------------------ accounts and keys

    def known_key(self, token: str) -> bool:
        return token in self.world.keys or token in self.keys

    def account(self, account_id: str) -> AccountState | None:
        return self.accounts.get(account_id)

    def all_accounts(self) -> list[AccountState]:
        return list(self.accounts.values())

    def update_key(self, token: str, **changes: Any) -> KeyState:
        """Change a key's settings (limit, disabled, management...)."""
        ks = self.key_state(token)
        ks.key = replace(ks.key, **changes)
        self.changed()
        return ks

    def create_key(self, key: Key) -> KeyState:
        ks = self.keys[key.key] = KeyState(key, self.set_credits(key.account))
        self.created_keys.setdefault(key.account, []).append(key.key)
        return ks

    def account_keys(self, account_id: str) -> list[KeyState]:
        declared = [k.key for k in self.world.keys.values() if k.account == account_id]
        states = [self.key_state(token) for token in [*declared, *self.created_keys.get(account_id, ())]]
        return [ks for ks in states if not ks.key.deleted and not ks.key.management]

    def delete_key(self, token: str) -> None:
        self.update_key(token, deleted=True)

    def set_byok(self, account_id: str, byok: dict[str, ByokKey]) -> None:
        self.set_credits(account_id).byok = dict(byok)
        self.changed()

    def _account(self, a: Account) -> AccountState:
        return AccountState(a.id, a.credits, a.usage, a.purchased, dict(a.byok))

    def key_state(self, token: str) -> KeyState:
        """The state of a key, creating a default account for an undeclared key."""
        ks = self.keys.get(token)
        if ks is not None:
            return ks
        key = self.world.keys.get(token) or Key(
            key=token, account=f"acct-{token[-8:]}", limit=self.world.defaults.key_limit
        )
        account = self.accounts.get(key.account)
        if account is None:
            d = self.world.defaults
            account = AccountState(key.account, d.credits, 0.0, d.purchased, dict(d.byok))
            self.accounts[key.account] = account
        ks = KeyState(key, account, usage=key.usage)
        self.keys[token] = ks
        return ks

    def charge(self, ks: KeyState, cost: float, byok_cost: float = 0.0, most: float = 0.0) -> float | None:
        """Debit the account and the key (atomic: no await) if the balance covers ``most`` (the most the request
        may cost); else debit nothing and return the balance."""
        if most > ks.account.balance:
            return ks.account.balance
        now = time.time()
        ks.account.usage = round(ks.account.usage + cost, 12)
        ks.usage = round(ks.usage + cost, 12)
        ks.byok_usage = round(ks.byok_usage + byok_cost, 12)
        today = int(now // _DAY)
        day = ks.days.get(today)
        if day is None:
            day = ks.days[today] = [0.0, 0.0]
        day[0] += cost
        day[1] += byok_cost
        if len(ks.days) > 31:
            del ks.days[min(ks.days)]
        return None

    def set_credits(self, account_id: str, credits: float | None = None, usage: float | None = None) -> AccountState:
        account = self.accounts.get(account_id)
        if account is None:
            d = self.world.defaults
            account = self.accounts[account_id] = AccountState(account_id, d.credits, 0.0, d.purchased, dict(d.byok))
        if credits is not None:
            account.credits = credits
        if usage is not None:
            account.usage = usage
        return account

    # ------------------------------------------------------------------ rate windows

    def free_request(self, account: AccountState, per_minute: int, per_day: int, now: float) -> tuple[str, int] | None:
        """Count a free-model request; returns ``(window, limit)`` when it is over a cap (not counted then)."""
        for window, span in ((account.free_minute, 60), (account.free_day, _DAY)):
            while window and now - window[0] >= span:
                window.popleft()
        if len(account.free_day) >= per_day:
            return "day", per_day
        if len(account.free_minute) >= per_minute:
            return "min", per_minute
        account.free_minute.append(now)
        account.free_day.append(now)
        return None

    # ------------------------------------------------------------------ scenarios, stubs and faults

    def scenario_state(self, name: str) -> str:
        return self.scenarios.get(name, "started")

    def scenario_states(self) -> dict[str, str]:
        return dict(self.scenarios)

    def set_scenario(self, name: str, value: str) -> None:
        self.scenarios[name] = value
        self.changed()

    def reset_scenarios(self, name: str | None = None) -> None:
        if name is None:
            self.scenarios.clear()
        else:
            self.scenarios.pop(name, None)
        self.changed()

    def stubs(self) -> list[Stub]:
        """Runtime and fixture stubs by priority (do not change the list: it is kept until the stubs change)."""
        if self._sorted_stubs is None:
            self._sorted_stubs = sorted([*self.runtime_stubs, *self.world.stubs], key=lambda s: s.priority)
        return self._sorted_stubs

    def stub_header_names(self) -> tuple[str, ...]:
        """The request headers any stub matches on (a request's outcome depends on them)."""
        if self._header_names is None:
            self._header_names = tuple(sorted({n for s in self.stubs() for n in s.match.headers}))
        return self._header_names

    def add_stubs(self, stubs: list[Stub]) -> None:
        """Install runtime stubs, replacing those of the same names."""
        names = {s.name for s in stubs}
        self.runtime_stubs = [s for s in self.runtime_stubs if s.name not in names] + list(stubs)
        self.changed()

    def remove_stubs(self, name: str | None = None) -> int:
        """Remove the runtime stub ``name`` (all of them with ``None``); how many went."""
        before = len(self.runtime_stubs)
        self.runtime_stubs = [s for s in self.runtime_stubs if name is not None and s.name != name]
        self.changed()
        return before - len(self.runtime_stubs)

    def stub_hit(self, stub: Stub) -> None:
        """Count a stub's match and move its scenario on."""
        self.stub_hits[stub.name] = self.stub_hits.get(stub.name, 0) + 1
        if stub.scenario and stub.sets:
            self.scenarios[stub.scenario] = stub.sets
        if stub.times is not None or stub.sets:
            self.changed()

    def stub_hit_counts(self) -> dict[str, int]:
        return dict(self.stub_hits)

    def faults(self) -> list[Fault]:
        return list(self.runtime_faults)

    def add_fault(self, fault: Fault) -> None:
        self.runtime_faults.append(fault)
        self.changed()

    def clear_faults(self) -> None:
        self.runtime_faults.clear()
        self.changed()

    def fault_hit_count(self, fault_id: str) -> int:
        return self.fault_hits.get(fault_id, 0)

    def take_fault(self, fault: Fault) -> bool:
        """Whether ``fault`` fires now (and count it); faults with ``times`` fire that many times per id."""
        if fault.times is None:
            return True
        key = fault.id or repr(fault)
        hits = self.fault_hits.get(key, 0)
        if hits >= fault.times:
            return False
        self.fault_hits[key] = hits + 1
        return True

    def snapshot(self, account: AccountState) -> Snapshot:
        now = self.mock_time() if self.sticky else 0.0
        sticky = {m: tag for (a, m), (tag, until) in self.sticky.items() if a == account.id and until > now}
        return Snapshot(dict(account.byok), time.monotonic() - self.started, frozenset(self.down), sticky)

    # ------------------------------------------------------------------ prompt caches

    def mock_time(self) -> float:
        """Seconds on the mock's clock: real time scaled by ``time_scale`` (it stands still at 0)."""
        real, mock = self._clock
        now = time.monotonic()
        mock += (now - real) * self.time_scale
        self._clock = (now, mock)
        return mock

    def cached_prefixes(self, account: str, endpoint: str, digests: list[str]) -> dict[str, float]:
        """Which of ``digests`` the account's cache on ``endpoint`` holds, with their expiry."""
        now, cache = self.mock_time(), self.caches.get((account, endpoint), _NO_CACHE)
        return {d: cache[d] for d in digests if cache.get(d, 0.0) > now}

    def cache_prefixes(self, account: str, endpoint: str, ttls: Mapping[str, float], model: str) -> None:
        """Store (or refresh) prefixes, and stick the account's requests for ``model`` to ``endpoint`` while the
        longest-lived one lives."""
        now = self.mock_time()
        cache = self.caches.get((account, endpoint))
        if cache is None:
            cache = self.caches[(account, endpoint)] = OrderedDict()
        # bounded, as a provider's cache is: the least recently written go first (an expired prefix is only dead
        # weight until then: reads check the expiry; the mock's clock stands still at time_scale 0)
        for digest, ttl in ttls.items():
            keep_recent(cache, digest, max(cache.get(digest, 0.0), now + ttl), CACHED_PREFIXES)
        if ttls:
            before = self.sticky.get((account, model))
            self.sticky[(account, model)] = (endpoint, now + max(ttls.values()))
            if before is None or before[0] != endpoint or before[1] <= now:
                self.changed()  # routing now sticks elsewhere: earlier worked-out answers no longer hold

    # ------------------------------------------------------------------ generations

    def remember(self, gen_id: str, record: MutableMapping[str, Any]) -> None:
        keep_recent(self.generations, gen_id, record, self.generations_size)

    def generation(self, gen_id: str) -> MutableMapping[str, Any] | None:
        return self.generations.get(gen_id)

    def update_generation(self, gen_id: str, **fields: Any) -> None:
        record = self.generations.get(gen_id)
        if record is not None:
            record.update(fields)
