"""The Lua scripts of the shared store (check-and-update steps, atomic in Redis whatever the number of workers) and
how a runtime stub is pickled for it (``mockrouter.state.redis``)."""

from __future__ import annotations

import copyreg
import io
import pickle
from types import MappingProxyType
from typing import Any

__all__ = ["CHARGE", "FREE", "RESTORE", "TAKE", "UPDATE", "pickle_stub"]

# KEYS: minute window, day window; ARGV: now, per minute, per day, member, minute floor, day floor.
# 0 = counted, 1 = over the minute cap, 2 = over the day cap (not counted then)
FREE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], 120)
redis.call('EXPIRE', KEYS[2], 90000)
return 0
"""
# KEYS: settings hash, version, when the store was found emptied; ARGV: seed, time scale, now, announce (1 or 0).
# A store that holds no state (never started, or a Redis restarted empty) starts from the world: 1; else 0
RESTORE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'seed', ARGV[1], 'time_scale', ARGV[2], 'started', ARGV[3])
if ARGV[4] == '1' then redis.call('SET', KEYS[3], ARGV[3]) end
redis.call('INCR', KEYS[2])
return 1
"""
# KEYS: fault hits; ARGV: fault id, times. 1 = fires (counted), 0 = used up
TAKE = """
local hits = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if hits >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""
# KEYS: the account's hash; ARGV: the most the request may cost, its cost (both pico-dollars), the credits and base
# usage (dollars) when the hash has none. 1 = debited; else the balance (pico-dollars) that does not cover the most
CHARGE = """
local h = redis.call('HMGET', KEYS[1], 'credits', 'base', 'used')
local function pico(x) return math.floor(tonumber(x) * 1e12 + 0.5) end
local balance = pico(h[1] or ARGV[3]) - pico(h[2] or ARGV[4]) - tonumber(h[3] or '0')
if tonumber(ARGV[1]) > balance then return tostring(balance) end
redis.call('HINCRBY', KEYS[1], 'used', ARGV[2])
return 1
"""
# KEYS: records, this record's updates; ARGV: id, field, value, field, value...
UPDATE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
"""


def _read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(mapping)


def _mapping_proxy(proxy: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return _read_only, (dict(proxy),)


def pickle_stub(stub: object) -> bytes:
    """Pickle a runtime stub (its read-only mappings included)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out)
    pickler.dispatch_table = {**copyreg.dispatch_table, MappingProxyType: _mapping_proxy}
    pickler.dump(stub)
    return out.getvalue()
