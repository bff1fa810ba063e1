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
import time
from typing import Any

import orjson

__all__ = ["Clock", "fingerprint", "rng", "derive"]

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


def derive(seed: int, *parts: object) -> int:
    """A 64-bit integer derived from the seed and any parts (stable across runs and processes)."""
    text = "\x1f".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big")


def rng(seed: int, fingerprint: str, purpose: str) -> random.Random:
    """An independent random stream for one purpose ("generation", "simulation", "routing", ...)."""
    return random.Random(derive(seed, fingerprint, purpose))


class Clock:
    """Wall clock for ``created`` and ids; pinned when ``pinned`` is set (then ids are seeded too).

    Generation ids follow OpenRouter's wire format ``gen-<unix seconds>-<20 alphanumerics>``.
    """

    def __init__(self, pinned: int | None = None) -> None:
        self.pinned = pinned
        self._rand = random.Random(pinned)  # ids need not be secret: seeded from os.urandom when not pinned
        self._occurrences: dict[str, int] = {}

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
        self._occurrences[fingerprint] = count + 1
        rnd = rng(seed, fingerprint, f"id/{self.pinned}/{count}")
        return f"gen-{self.pinned}-" + rnd.randbytes(20).translate(_TO_ALNUM).decode()
