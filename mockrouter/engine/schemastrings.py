"""Strings for a JSON Schema's ``format`` and ``pattern``: from a seeded ``random.Random`` only.

``formatted(name, ...)`` makes a value of a common ``format`` (``date-time``, ``email``, ``uri``, ``uuid``,
``ipv4`` ...; None for others). ``from_pattern(pattern, ...)`` walks the regex's parse tree (``re._parser``) and
emits a string for it: literals, classes and categories, bounded repeats, groups and branches; anchors,
lookarounds and back-references are skipped, so callers check the result (None when the pattern does not parse or
uses a construct not listed here).
"""

from __future__ import annotations

import importlib
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["formatted", "from_pattern"]

try:
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - older layouts
    _sre = None
_CATEGORIES = {
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_WORD": "abcdefxyz0123_",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_DIGIT": "abcxyz",
    "CATEGORY_NOT_WORD": "-. ",
    "CATEGORY_NOT_SPACE": "abc123",
}


def formatted(name: str | None, r: random.Random, words: Callable[[int], str]) -> str | None:
    """A value of ``format`` ``name`` (None for a format not known here)."""
    word = re.sub(r"[^a-z]", "", words(1).lower()) or "user"
    ymd = f"{r.randint(2015, 2026):04d}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
    hms = f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
    table = {
        "date-time": f"{ymd}T{hms}Z",
        "date": ymd,
        "time": f"{hms}Z",
        "email": f"{word}@example.com",
        "uri": f"https://example.com/{word}",
        "url": f"https://example.com/{word}",
        "hostname": "example.com",
        "uri-reference": f"/{word}",
        "iri": f"https://example.com/{word}",
        "duration": f"P{r.randint(1, 9)}D",
        "uuid": str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "ipv6": f"2001:db8::{r.randint(1, 999)}",
        "ipv4": ".".join(str(r.randint(1, 254)) for _ in range(4)),
    }
    return table.get(name or "")


def from_pattern(pattern: str, rnd: random.Random) -> str | None:
    """A string ``pattern`` matches, generated from its parse tree (None when that fails)."""
    if _sre is None:
        return None
    try:
        return _emit(_sre.parse(pattern), 0, rnd)
    except Exception:
        return None


def _emit(seq: Any, depth: int, rnd: random.Random) -> str:
    out = []
    for op, arg in seq:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("ANY", "NOT_LITERAL"):
            out.append(rnd.choice("abcdefgh".replace(chr(arg) if name == "NOT_LITERAL" else "", "")))
        elif name == "IN":
            out.append(_charset(arg, rnd))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = arg
            out.extend(_emit(sub, depth + 1, rnd) for _ in range(rnd.randint(lo, min(hi, lo + 3))))
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_emit(arg[-1] if isinstance(arg, tuple) else arg, depth + 1, rnd))
        elif name == "BRANCH":
            out.append(_emit(rnd.choice(arg[1]), depth + 1, rnd))
        elif name not in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF"):
            raise ValueError(name)
    return "".join(out)


def _charset(items: Any, rnd: random.Random) -> str:
    """One character of a ``[...]`` class."""
    names = [(str(op), arg) for op, arg in items]
    pool: list[str] = []
    for name, arg in names:
        if name == "LITERAL":
            pool.append(chr(arg))
        elif name == "RANGE":
            pool.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 40) + 1))
        elif name == "CATEGORY":
            pool.extend(_CATEGORIES.get(str(arg), "a"))
    if names and names[0][0] == "NEGATE":
        pool = [c for c in "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_. " if c not in pool]
    return rnd.choice(pool or ["a"])
