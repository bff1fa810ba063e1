"""API keys and accounts as the shared Redis store holds them (``RedisState``'s bookkeeping).

A key's hash (``s:key:<digest>``; ``journal.key_digest``, never the key itself) holds its spend in integer
pico-dollars (``used``, ``byok``, and per day ``d:<day>`` and ``b:<day>``) and its changed settings (``conf``, JSON).
An account's hash (``s:account:<id>``) holds its ``credits``, its ``base`` usage and the pico-dollars ``used`` since,
and its BYOK keys (``byok``, JSON). Two sorted sets per account are its free-model windows (a minute, a day).
What the store does not hold is the world's, as the fixtures loaded it. The keys the management API created
(``POST /keys``) are the exception that holds a secret: the mock issued it, and a key another worker created must
authenticate here. ``s:created`` maps their digests to their settings (JSON, the secret included) and
``s:account-keys:<id>`` lists an account's, in creation order.

:class:`KeyRecords` names those keys, keeps what a key's requests read over and over (:class:`TokenKeys`), decodes
the hashes into ``KeyState`` and ``AccountState``, and queues the writes of a debit.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections import deque
from dataclasses import asdict, replace
from typing import Any, NamedTuple

from mockrouter.state.journal import key_digest
from mockrouter.state.protocol import DAY as _DAY
from mockrouter.state.protocol import AccountState, KeyState
from mockrouter.state.scripts import CHARGE, FREE
from mockrouter.state.store import Commands, Store, from_pico, pairs, to_pico
from mockrouter.world import ByokKey, Key, World

__all__ = ["KeyRecords", "TokenKeys", "text"]

_TOKENS_MAX = 4096  # tokens whose store keys are kept (the world's keys never change)


def text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _scores(raw: Any) -> list[float]:
    """Scores from ``ZRANGEBYSCORE ... WITHSCORES`` (pairs or a flat list, as the client parsed it)."""
    if raw and isinstance(raw[0], (tuple, list)):
        return [float(score) for _, score in raw]
    return [float(score) for score in raw[1::2]]


class TokenKeys(NamedTuple):
    """What a key's requests use over and over: its world settings and store keys, its reads packed."""

    base: Key
    digest: str
    key_key: str
    account_key: str
    free_day: str
    reads: tuple[bytes, bytes]  # HGETALL of the key's and the account's hashes, encoded


class KeyRecords:
    """The keys and accounts of the ``world`` in ``store``."""

    def __init__(self, world: World, store: Store) -> None:
        self.world, self.store = world, store
        self.accounts_set, self.keys_set = store.key("s", "accounts"), store.key("s", "keys")
        self.created = store.key("s", "created")
        self.registered: set[str] = set()  # key digests this worker has added to the key and account sets
        self._tokens: dict[str, TokenKeys] = {}
        self._members = itertools.count()  # free-window members made here

    def account_key(self, account_id: str) -> str:
        return self.store.key("s", "account", account_id)

    def key_key(self, token: str) -> str:
        return self.store.key("s", "key", key_digest(token))

    def free_keys(self, account_id: str) -> tuple[str, str]:
        """The account's free-model windows: a minute's requests and a day's."""
        return self.store.key("s", "free", account_id, "minute"), self.store.key("s", "free", account_id, "day")

    def free_request(self, account: AccountState, per_minute: int, per_day: int, now: float) -> tuple[str, int] | None:
        """Count a free-model request in the account's windows (one script), or which cap it is over."""
        member = f"{now!r}:{os.getpid()}:{next(self._members)}"
        floors = repr(now - 60), repr(now - _DAY)
        script = self.store.eval(
            FREE, list(self.free_keys(account.id)), repr(now), per_minute, per_day, member, *floors
        )
        over = int(self.store.run(script)[0])
        if over == 0:
            account.free_day.append(now)
            return None
        return ("min", per_minute) if over == 1 else ("day", per_day)

    def token(self, token: str) -> TokenKeys:
        """``token``'s keys (kept, bounded)."""
        found = self._tokens.get(token)
        if found is None:
            if len(self._tokens) >= _TOKENS_MAX:
                self._tokens.clear()
            base = self.world.keys.get(token) or self._created(token)
            digest, key_key, account_key = key_digest(token), self.key_key(token), self.account_key(base.account)
            reads = (self.store.pack("HGETALL", key_key), self.store.pack("HGETALL", account_key))
            free_day = self.free_keys(base.account)[1]
            found = self._tokens[token] = TokenKeys(base, digest, key_key, account_key, free_day, reads)
        return found

    def _created(self, token: str) -> Key:
        """An undeclared key: one the management API created (on any worker), else a key of its own account."""
        raw = self.store.run(("HGET", self.created, key_digest(token)))[0]
        if raw is not None:
            return Key(**json.loads(raw))
        return Key(key=token, account=f"acct-{token[-8:]}", limit=self.world.defaults.key_limit)

    def forget(self) -> None:
        """Drop the kept keys (the store was reset: created keys are gone)."""
        self._tokens.clear()

    def account_keys_key(self, account_id: str) -> str:
        return self.store.key("s", "account-keys", account_id)

    def create(self, key: Key) -> None:
        digest = key_digest(key.key)
        self.store.run(
            ("HSET", self.created, digest, json.dumps(asdict(key))),
            ("RPUSH", self.account_keys_key(key.account), digest),
            ("SADD", self.keys_set, digest),
            ("SADD", self.accounts_set, key.account),
        )
        self._tokens.pop(key.key, None)

    def created_tokens(self, account_id: str) -> list[str]:
        """The secrets of the keys created for the account, in creation order."""
        digests = self.store.run(("LRANGE", self.account_keys_key(account_id), 0, -1))[0]
        if not digests:
            return []
        raws = self.store.run(("HMGET", self.created, *digests))[0]
        return [json.loads(raw)["key"] for raw in raws if raw is not None]

    def reads(self, token: str, now: float) -> list[Commands]:
        """What a key state is made of: the key's and its account's hashes, the account's free-model day window."""
        t = self.token(token)
        return [*t.reads, ("ZRANGEBYSCORE", t.free_day, f"({now - _DAY!r}", "+inf", "WITHSCORES")]

    def key_state(self, token: str, read: list[Any]) -> KeyState:
        """The key state from what ``reads`` read; queues the key's registration and the removal of old days."""
        t = self.token(token)
        base, digest, key_key = t.base, t.digest, t.key_key
        kh, ah, free = read
        if digest not in self.registered:  # rides on the request's writes
            self.store.later(("SADD", self.keys_set, digest), ("SADD", self.accounts_set, base.account))
            self.registered.add(digest)
        kh, ah = pairs(kh), pairs(ah)
        days: dict[int, list[float]] = {}
        for name, value in kh.items():
            if name[:2] in (b"d:", b"b:"):
                days.setdefault(int(name[2:]), [0.0, 0.0])[name[:1] == b"b"] = from_pico(value)
        if len(days) > 31:  # bounded like the in-memory state: about a month of days
            old = sorted(days)[:-31]
            self.store.later(("HDEL", key_key, *(f"{p}:{d}" for d in old for p in "db")))
            for d in old:
                del days[d]
        key = replace(base, **json.loads(kh[b"conf"])) if b"conf" in kh else base
        account = self.account_state(base.account, ah, _scores(free))
        usage = round(base.usage + from_pico(kh.get(b"used")), 12)
        return KeyState(key, account, usage=usage, byok_usage=from_pico(kh.get(b"byok")), days=days)

    def account_state(
        self, account_id: str, h: dict[bytes, bytes], free_day: list[float] | None = None
    ) -> AccountState:
        a, d = self.world.accounts.get(account_id), self.world.defaults
        credits = float(h[b"credits"]) if b"credits" in h else (a.credits if a else d.credits)
        base = float(h[b"base"]) if b"base" in h else (a.usage if a else 0.0)
        if b"byok" in h:
            byok = {name: ByokKey(status, always) for name, (status, always) in json.loads(h[b"byok"]).items()}
        else:
            byok = dict(a.byok if a else d.byok)
        usage = round(base + from_pico(h.get(b"used")), 12)
        return AccountState(
            account_id, credits, usage, a.purchased if a else d.purchased, byok, free_day=deque(free_day or ())
        )

    def known(self, token: str) -> bool:
        return token in self.world.keys or bool(self.store.run(("SISMEMBER", self.keys_set, key_digest(token)))[0])

    def account(self, account_id: str) -> AccountState | None:
        member, h = self.store.run(
            ("SISMEMBER", self.accounts_set, account_id), ("HGETALL", self.account_key(account_id))
        )
        if not member and account_id not in self.world.accounts:
            return None
        return self.account_state(account_id, pairs(h))

    def all_accounts(self) -> list[AccountState]:
        members = self.store.run(("SMEMBERS", self.accounts_set))[0]
        ids = [*self.world.accounts, *sorted(text(m) for m in members if text(m) not in self.world.accounts)]
        hashes = self.store.run(*(("HGETALL", self.account_key(i)) for i in ids))
        return [self.account_state(i, pairs(h)) for i, h in zip(ids, hashes, strict=True)]

    def byok_writes(self, account_id: str, byok: dict[str, ByokKey]) -> list[tuple[Any, ...]]:
        encoded = json.dumps({name: [b.status, b.always_use] for name, b in byok.items()})
        return [("SADD", self.accounts_set, account_id), ("HSET", self.account_key(account_id), "byok", encoded)]

    def debit_within(self, ks: KeyState, most: float, cost: float) -> float | None:
        """Debit the account ``cost`` if its balance covers ``most``, in one step in the store (a round trip); else
        the balance, and nothing is debited. The key's writes follow (``debit`` with ``account=False``)."""
        a, d = self.world.accounts.get(ks.account.id), self.world.defaults
        credits, base = (a.credits, a.usage) if a else (d.credits, 0.0)
        keys = [self.account_key(ks.account.id)]
        done = self.store.run(self.store.eval(CHARGE, keys, to_pico(most), to_pico(cost), repr(credits), repr(base)))
        return None if done[0] == 1 else from_pico(int(float(text(done[0]))))

    def debit(self, ks: KeyState, cost: float, byok_cost: float, account: bool = True) -> None:
        """Queue the debit's writes (they go with the journal entry's, before the response); the account's too
        unless ``debit_within`` made it."""
        day = int(time.time() // _DAY)
        t = self.token(ks.key.key)
        account_key, key_key = (
            t.account_key if ks.account.id == t.base.account else self.account_key(ks.account.id),
            t.key_key,
        )
        pico, byok = to_pico(cost), to_pico(byok_cost)
        if account:
            self.store.later(("HINCRBY", account_key, "used", pico))
        self.store.later(
            ("HINCRBY", key_key, "used", pico),
            ("HINCRBY", key_key, f"d:{day}", pico),
        )
        if byok:
            self.store.later(("HINCRBY", key_key, "byok", byok), ("HINCRBY", key_key, f"b:{day}", byok))

    def set_credits(self, account_id: str, credits: float | None, usage: float | None) -> AccountState:
        fields: list[Any] = []
        if credits is not None:
            fields += ["credits", repr(float(credits))]
        if usage is not None:
            fields += ["base", repr(float(usage)), "used", 0]
        account_key = self.account_key(account_id)
        writes = [("HSET", account_key, *fields)] if fields else []
        h = self.store.run(("SADD", self.accounts_set, account_id), *writes, ("HGETALL", account_key))[-1]
        return self.account_state(account_id, pairs(h))
