"""The state interface: what the engine may know of and do to the mutable world (accounts, keys, scenarios,
stubs, faults, rate windows, generations, runtime settings), and the plain values it hands out.

Two implementations: ``state.memory.MemoryState`` (one worker) and ``state.redis.RedisState`` (several workers
sharing a Redis store). The engine imports this module (through the ``mockrouter.state`` facade), never them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from mockrouter.faults import Fault
from mockrouter.values import value
from mockrouter.world import ByokKey, Key, Stub, World

__all__ = ["DAY", "AccountState", "KeyState", "LayeredRecord", "Snapshot", "State", "StoreUnavailable"]

DAY = 86_400
_DAY = DAY


class StoreUnavailable(Exception):
    """The shared store cannot be reached (Redis is down): a request is answered 503 with ``Retry-After``."""


@dataclass(slots=True)
class AccountState:
    id: str
    credits: float
    usage: float
    purchased: bool
    byok: dict[str, ByokKey]
    free_minute: deque[float] = field(default_factory=deque)
    free_day: deque[float] = field(default_factory=deque)

    @property
    def balance(self) -> float:
        return self.credits - self.usage


@dataclass(slots=True)
class KeyState:
    key: Key
    account: AccountState
    usage: float = 0.0
    byok_usage: float = 0.0
    #: UTC day -> [cost, byok cost]: bounded memory whatever the request count (at most ~31 days kept)
    days: dict[int, list[float]] = field(default_factory=dict)

    @property
    def limit_remaining(self) -> float | None:
        if self.key.limit is None:
            return None
        spent = self.usage + (self.byok_usage if self.key.include_byok_in_limit else 0.0)
        return round(self.key.limit - spent, 12)

    def usage_since(self, seconds: float, now: float, byok: bool = False) -> float:
        """Usage in the current UTC day (``seconds`` = one day), or the last 7 / 30 days."""
        first = int(now // _DAY) - int(seconds // _DAY) + 1
        return round(sum(v[1] if byok else v[0] for d, v in self.days.items() if d >= first), 12)


@value
class Snapshot:
    """What the planner may know about the account and the world's clock."""

    byok: dict[str, ByokKey]
    elapsed_s: float
    down: frozenset[str]
    sticky: Mapping[str, str] = field(default_factory=dict)  # model id -> the endpoint tag a live cache sticks to


class LayeredRecord(Protocol):
    """A generation record as the engine makes it (``engine.memo.Record``): a ``template`` shared by the requests
    that replay it, under the request's own ``overlay()`` (a shared store pickles the template once)."""

    template: MutableMapping[str, Any]

    def overlay(self) -> dict[str, Any]: ...


class State(Protocol):
    """Every change a request's outcome depends on moves ``epoch`` on; no method awaits, so a check-and-debit
    is atomic on the event loop."""

    world: World
    epoch: int
    #: when (``time.time()``) the shared store was last found emptied and started again from the fixtures; None if never
    store_reset: float | None
    seed: int
    time_scale: float
    down: set[str]

    def begin(self, token: str | None = None) -> None: ...
    def changed(self) -> None: ...
    def reset(self) -> None: ...
    def update_settings(
        self, seed: int | None = None, time_scale: float | None = None, down: set[str] | None = None
    ) -> None: ...

    # accounts and keys
    def known_key(self, token: str) -> bool: ...
    def account(self, account_id: str) -> AccountState | None: ...
    def all_accounts(self) -> list[AccountState]: ...
    def update_key(self, token: str, **changes: Any) -> KeyState: ...
    def create_key(self, key: Key) -> KeyState:
        """Add a key (the management API's ``POST /keys``): it authenticates at once, on every worker."""
        ...

    def account_keys(self, account_id: str) -> list[KeyState]:
        """The account's API keys, declared then created, deleted ones and management keys left out."""
        ...

    def delete_key(self, token: str) -> None:
        """The key is gone: it no longer authenticates, nor is it listed."""
        ...

    def set_byok(self, account_id: str, byok: dict[str, ByokKey]) -> None: ...
    def key_state(self, token: str) -> KeyState: ...
    def charge(self, ks: KeyState, cost: float, byok_cost: float = 0.0, most: float = 0.0) -> float | None: ...
    def set_credits(
        self, account_id: str, credits: float | None = None, usage: float | None = None
    ) -> AccountState: ...
    def free_request(
        self, account: AccountState, per_minute: int, per_day: int, now: float
    ) -> tuple[str, int] | None: ...

    # scenarios, stubs and faults
    def scenario_state(self, name: str) -> str: ...
    def scenario_states(self) -> dict[str, str]: ...
    def set_scenario(self, name: str, value: str) -> None: ...
    def reset_scenarios(self, name: str | None = None) -> None: ...
    def stubs(self) -> list[Stub]: ...
    def stub_header_names(self) -> tuple[str, ...]: ...
    def add_stubs(self, stubs: list[Stub]) -> None: ...
    def remove_stubs(self, name: str | None = None) -> int: ...
    def stub_hit(self, stub: Stub) -> None: ...
    def stub_hit_counts(self) -> dict[str, int]: ...
    def faults(self) -> list[Fault]: ...
    def add_fault(self, fault: Fault) -> None: ...
    def clear_faults(self) -> None: ...
    def fault_hit_count(self, fault_id: str) -> int: ...
    def take_fault(self, fault: Fault) -> bool: ...

    # what the planner sees, and generations
    def snapshot(self, account: AccountState) -> Snapshot: ...

    # prompt caches (per account and endpoint) and the routing that sticks to them, on the mock's clock
    def cached_prefixes(self, account: str, endpoint: str, digests: list[str]) -> dict[str, float]: ...
    def cache_prefixes(self, account: str, endpoint: str, ttls: Mapping[str, float], model: str) -> None: ...
    def remember(self, gen_id: str, record: MutableMapping[str, Any]) -> None: ...
    def generation(self, gen_id: str) -> MutableMapping[str, Any] | None: ...
    def update_generation(self, gen_id: str, **fields: Any) -> None: ...
