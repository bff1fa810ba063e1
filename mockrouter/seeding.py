"""Determinism by construction: every random choice comes from one seed.

``rng(seed, fingerprint, purpose)`` gives an independent ``random.Random`` per purpose, so turning on a
fault (simulation) never changes the generated text (generation). ``fingerprint`` is a stable digest of
what the client asked for. Ids and ``created`` come from a :class:`Clock`, which can be pinned.
"""

from __future__ import annotations

import hashlib
import json
import random
import string
import struct
import time
from collections import OrderedDict
from typing import Any

import orjson

from mockrouter.values import keep_recent

__all__ = ["PINNED_REQUESTS", "Clock", "Draws", "derive", "fingerprint", "rng", "stream"]

_ALNUM = string.ascii_letters + string.digits
#: random bytes -> alphanumerics in one ``bytes.translate`` (256 = 4 x 62 + 8: the first 8 are a little likelier)
_TO_ALNUM = bytes((_ALNUM * 5)[:256], "ascii")


def fingerprint(document: Any) -> str:
    """A stable hex digest of a JSON-like document (key order does not matter): orjson's sorted encoding, or the
    standard library's for what orjson refuses (lone surrogates, integers beyond 64 bits, keys not strings)."""
    try:
        data = orjson.dumps(document, default=str, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        blob = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        data = blob.encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _named(parts: tuple[object, ...]) -> bytes:
    """The bytes that name a derived number or stream: the parts' texts, joined by a unit separator."""
    return "\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")


def derive(seed: int, *parts: object) -> int:
    """A 64-bit integer derived from the seed and any parts (stable across runs and processes)."""
    return int.from_bytes(hashlib.blake2b(_named((seed, *parts)), digest_size=8).digest(), "big")


def rng(seed: int, fingerprint: str, purpose: str) -> random.Random:
    """An independent random stream for one purpose ("generation", "simulation", "routing", ...)."""
    return stream(seed, fingerprint, purpose)


def stream(*parts: object) -> Draws:
    """The random stream named by ``parts`` (named as :func:`derive` names its number)."""
    return Draws(_named(parts))


_WORDS = struct.Struct("<8Q").unpack
_TO_UNIT = 2.0**-53


class Draws(random.Random):
    """A ``random.Random`` whose numbers are BLAKE2b of its key and a block counter, eight 64-bit words a block.

    Made in well under a microsecond: seeding a Mersenne Twister costs ~4 us, more than all the draws a request
    makes from it (a few dozen). Every method of ``random.Random`` works (they draw through :meth:`random` and
    :meth:`getrandbits`, or, for a range, one word scaled to it); the same key gives the same numbers in every
    process and release of Python."""

    def __init__(self, key: bytes) -> None:  # not random.Random's: that would seed a Mersenne Twister
        self._key, self._block = key, 0
        self._left = list(_WORDS(hashlib.blake2b(key, digest_size=64).digest()))
        self.gauss_next = None

    def seed(self, a: object = None, version: int = 2) -> None:
        raise TypeError("a Draws stream is fixed by its key")

    def _refill(self) -> list[int]:
        self._block += 1
        block = self._key + b"\x1f" + str(self._block).encode()
        self._left = list(_WORDS(hashlib.blake2b(block, digest_size=64).digest()))
        return self._left

    def random(self) -> float:
        left = self._left or self._refill()
        return (left.pop() >> 11) * _TO_UNIT

    def _randbelow(self, n: int) -> int:
        """``[0, n)`` from one word (multiply and shift: uneven by at most n / 2**64), for ``randrange``,
        ``choice``, ``shuffle`` and ``sample``."""
        left = self._left or self._refill()
        return (left.pop() * n) >> 64

    def randint(self, a: int, b: int) -> int:
        if b < a:
            raise ValueError(f"empty range in randint({a}, {b})")
        left = self._left or self._refill()
        return a + ((left.pop() * (b - a + 1)) >> 64)

    def getrandbits(self, k: int, /) -> int:
        if 0 < k <= 64:
            left = self._left or self._refill()
            return left.pop() >> (64 - k)
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        out = got = 0
        while got < k:
            left = self._left or self._refill()
            out |= left.pop() << got
            got += 64
        return out & ((1 << k) - 1)


#: the requests a pinned clock counts, the least recently seen forgotten first: a request not seen again while this
#: many others were starts its count again (its next ids repeat the ones it had), and a long run's memory stays flat
PINNED_REQUESTS = 16_384


class Clock:
    """Wall clock for ``created`` and ids; pinned when ``pinned`` is set (then ids are seeded too).

    Generation ids follow OpenRouter's wire format ``gen-<unix seconds>-<20 alphanumerics>``.
    """

    def __init__(self, pinned: int | None = None) -> None:
        self.pinned = pinned
        self._rand = random.Random(pinned)  # ids need not be secret: seeded from os.urandom when not pinned
        self._occurrences: OrderedDict[str, int] = OrderedDict()

    def now(self) -> int:
        return self.pinned if self.pinned is not None else int(time.time())

    def reset(self) -> None:
        if self.pinned is not None:
            self._rand = random.Random(self.pinned)
        self._occurrences.clear()

    def generation_id(self, seed: int = 0, fingerprint: str = "") -> str:
        """A fresh id; pinned, the n-th id of the same request under the same seed is always the same."""
        if self.pinned is None:
            return f"gen-{int(time.time())}-" + self._rand.randbytes(20).translate(_TO_ALNUM).decode()
        count = self._occurrences.get(fingerprint, 0)
        keep_recent(self._occurrences, fingerprint, count + 1, PINNED_REQUESTS)
        rnd = rng(seed, fingerprint, f"id/{self.pinned}/{count}")
        return f"gen-{self.pinned}-" + rnd.randbytes(20).translate(_TO_ALNUM).decode()
