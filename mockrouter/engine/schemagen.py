"""Produce a plausible JSON value that validates against a JSON Schema (draft 2020-12 subset).

Covers what tool ``parameters`` and ``response_format.json_schema.schema`` use in practice: ``type`` (one or a
list), ``properties``/``required``/``additionalProperties``, ``enum``/``const``/``default``/``examples``, numeric
bounds and ``multipleOf``, string lengths, ``pattern`` (generated from the regex parse tree, then simple
candidates, then ``examples``), common ``format``s, ``items``/``prefixItems``/``contains`` with item counts and
``uniqueItems``, ``anyOf``/``oneOf`` (one branch, merged with its siblings; ``oneOf`` exclusivity is checked with a
small built-in validator), ``allOf`` (merged), local ``$ref`` (``#/$defs/...``, ``#/definitions/...``) with a
recursion guard, and OpenAPI ``nullable``. It never raises: an unsatisfiable schema gets a best effort.
"""

from __future__ import annotations

import importlib
import math
import random
import re
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["instance"]

_WORDS = (
    "alpha bright cloud delta echo forest garden harbor island jade kettle lemon maple north ocean pepper quiet "
    "river silver timber urban velvet willow yellow zephyr amber canyon meadow summit lantern orbit"
).split()
_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
_SOFT_DEPTH, _HARD_DEPTH, _BUDGET = 7, 40, 3000
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")
try:
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - older layouts
    _sre = None


def instance(schema: Any, rnd: random.Random, words: Callable[[int], str] | None = None) -> Any:
    """A JSON value valid against ``schema`` (best effort; deterministic for a given ``rnd`` state)."""
    gen = _Gen(schema, rnd, words or (lambda n: " ".join(rnd.choice(_WORDS) for _ in range(max(n, 1)))))
    try:
        return gen.value(schema, 0, "")
    except Exception:
        return {} if isinstance(schema, dict) and "properties" in schema else ""


def _num(s: dict[str, Any], key: str) -> float | None:
    v = s.get(key)
    return v if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None


def _int(s: dict[str, Any], key: str) -> int | None:
    v = _num(s, key)
    return max(int(v), 0) if v is not None else None


def _dict(s: dict[str, Any], key: str) -> dict[str, Any]:
    v = s.get(key)
    return v if isinstance(v, dict) else {}


def _list(s: dict[str, Any], key: str) -> list[Any]:
    v = s.get(key)
    return v if isinstance(v, list) else []


def _is_type(v: Any, t: Any) -> bool:
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer()
    return {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}.get(t) is type(v) or (
        t == "number" and isinstance(v, int | float) and not isinstance(v, bool)
    )


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b, strict=True))
    return type(a) in (int, float) and type(b) in (int, float) and a == b or type(a) is type(b) and a == b


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except (re.error, TypeError):
        return True  # a regex Python cannot compile: do not hold it against the value


class _Gen:
    def __init__(self, root: Any, rnd: random.Random, words: Callable[[int], str]) -> None:
        self.root, self.rnd, self.words, self.nodes, self.refs = root, rnd, words, 0, 0

    # -- schema plumbing -------------------------------------------------------------------------------
    def resolve(self, s: Any) -> Any:
        for _ in range(16):
            if not isinstance(s, dict) or not isinstance(s.get("$ref"), str):
                return s
            target: Any = self.root
            ref = s["$ref"]
            if not ref.startswith("#"):
                target = {}
            for part in ref[1:].split("/")[1:]:
                part = part.replace("~1", "/").replace("~0", "~").replace("%25", "%")
                target = target.get(part, {}) if isinstance(target, dict) else {}
            rest = {k: v for k, v in s.items() if k != "$ref"}
            s = self.merge(target, rest) if rest else target
        return {}

    def merge(self, a: Any, b: Any) -> Any:
        if a is True or a == {}:
            return b
        if b is True or b == {} or not isinstance(a, dict) or not isinstance(b, dict):
            return a
        out = dict(a)
        for k, v in b.items():
            if k not in out:
                out[k] = v
            elif k == "properties" and isinstance(v, dict) and isinstance(out[k], dict):
                out[k] = {**out[k], **{p: ({"allOf": [out[k][p], x]} if p in out[k] else x) for p, x in v.items()}}
            elif k == "required" and isinstance(v, list) and isinstance(out[k], list):
                out[k] = out[k] + [r for r in v if r not in out[k]]
            elif k == "type":
                ta, tb = (set(t if isinstance(t, list) else [t]) for t in (out[k], v))
                both = ta & tb or ({"integer"} if {"integer", "number"} <= ta | tb else ta)
                out[k] = sorted(both, key=str) if len(both) != 1 else next(iter(both))
            elif k == "enum" and isinstance(v, list) and isinstance(out[k], list):
                out[k] = [e for e in out[k] if any(_eq(e, x) for x in v)] or out[k]
            elif k in _LOWER + _UPPER and _num(b, k) is not None and _num(out, k) is not None:
                out[k] = (max if k in _LOWER else min)(out[k], v)
            elif k in ("items", "additionalProperties") and isinstance(v, dict) and isinstance(out[k], dict):
                out[k] = {"allOf": [out[k], v]}
            elif k == "allOf" and isinstance(v, list) and isinstance(out[k], list):
                out[k] = out[k] + v
        return out

    def flatten(self, s: Any, depth: int) -> Any:
        s = self.resolve(s)
        while isinstance(s, dict) and isinstance(s.get("allOf"), list) and depth < _HARD_DEPTH:
            subs, s = s["allOf"], {k: v for k, v in s.items() if k != "allOf"}
            for sub in subs:
                s = self.merge(s, self.flatten(sub, depth + 1))
            depth += 1
        return s

    # -- validation (small, for oneOf exclusivity, enums, defaults and patterns) ----------------------
    def ok(self, v: Any, s: Any, depth: int = 0) -> bool:
        s = self.resolve(s)
        if s is False:
            return False
        if not isinstance(s, dict) or depth > _HARD_DEPTH:
            return True
        t = s.get("type")
        if t is not None and not any(_is_type(v, x) for x in (t if isinstance(t, list) else [t])):
            return False
        if (
            "const" in s
            and not _eq(v, s["const"])
            or isinstance(s.get("enum"), list)
            and not any(_eq(v, e) for e in s["enum"])
        ):
            return False
        if isinstance(v, int | float) and not isinstance(v, bool):
            lo, hi, xlo, xhi, m = (
                _num(s, k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
            )
            if lo is not None and v < lo or hi is not None and v > hi or xlo is not None and v <= xlo:
                return False
            if xhi is not None and v >= xhi or m and (v / m) != int(v / m):
                return False
        if isinstance(v, str):
            n, lo_n, hi_n = len(v), _int(s, "minLength"), _int(s, "maxLength")
            if lo_n is not None and n < lo_n or hi_n is not None and n > hi_n:
                return False
            if isinstance(s.get("pattern"), str) and not _search(s["pattern"], v):
                return False
        if isinstance(v, dict):
            props = _dict(s, "properties")
            if any(r not in v for r in _list(s, "required") if isinstance(r, str)):
                return False
            extra = s.get("additionalProperties", True)
            for k, x in v.items():
                if not self.ok(x, props[k] if k in props else extra, depth + 1):
                    return False
        if isinstance(v, list):
            lo_i, hi_i = _int(s, "minItems"), _int(s, "maxItems")
            if lo_i is not None and len(v) < lo_i or hi_i is not None and len(v) > hi_i:
                return False
            prefix = _list(s, "prefixItems")
            if any(not self.ok(x, sub, depth + 1) for x, sub in zip(v, prefix, strict=False)):
                return False
            if any(not self.ok(x, s.get("items", True), depth + 1) for x in v[len(prefix) :]):
                return False
            if s.get("uniqueItems") is True and any(_eq(a, b) for i, a in enumerate(v) for b in v[i + 1 :]):
                return False
        subs = {k: s[k] for k in ("allOf", "anyOf", "oneOf") if isinstance(s.get(k), list)}
        hits = {k: [self.ok(v, x, depth + 1) for x in sub] for k, sub in subs.items()}
        if "allOf" in hits and not all(hits["allOf"]) or "anyOf" in hits and not any(hits["anyOf"]):
            return False
        if "oneOf" in hits and sum(hits["oneOf"]) != 1:
            return False
        return not ("not" in s and self.ok(v, s["not"], depth + 1))

    # -- generation ------------------------------------------------------------------------------------
    def value(self, s: Any, depth: int, key: str) -> Any:
        is_ref = isinstance(s, dict) and "$ref" in s
        self.refs += is_ref
        try:
            return self._value(s, depth, key)
        finally:
            self.refs -= is_ref

    def _value(self, s: Any, depth: int, key: str) -> Any:
        self.nodes += 1
        s = self.flatten(s, depth)
        if s is False or depth > _HARD_DEPTH or self.nodes > 4 * _BUDGET:
            return None
        if not isinstance(s, dict):
            return self.words(self.rnd.randint(1, 3))
        for alt in ("oneOf", "anyOf"):
            branches = s.get(alt)
            if isinstance(branches, list) and branches:
                rest = {k: v for k, v in s.items() if k != alt}
                order = self.rnd.sample(range(len(branches)), len(branches))
                first: Any = None
                for tries in range(max(6, len(order))):
                    i = order[tries % len(order)]
                    got = self.value(self.merge(rest, self.flatten(branches[i], depth)), depth + 1, key)
                    if tries == 0:
                        first = got
                    others = [b for j, b in enumerate(branches) if j != i]
                    if alt == "anyOf" or not any(self.ok(got, b) for b in others):
                        return got
                return first
        best: Any = None
        for attempt in range(8):
            got = self.pick(s, depth, key)
            if attempt == 0:
                best = got
            if not ("not" in s or "pattern" in s) or self.ok(got, s):
                return got
        return best

    def pick(self, s: dict[str, Any], depth: int, key: str) -> Any:
        rnd = self.rnd
        if "const" in s:
            return s["const"]
        for source, p in (("enum", 1.0), ("default", 0.25), ("examples", 0.2)):
            options = [s[source]] if source == "default" and source in s else s.get(source)
            if isinstance(options, list) and options and rnd.random() < p:
                rest = {k: v for k, v in s.items() if k not in ("enum", "default", "examples")}
                good = [o for o in options if self.ok(o, rest)]
                if good or source == "enum":
                    return rnd.choice(good or options)
        t = s.get("type")
        types = [x for x in (t if isinstance(t, list) else [t]) if x in _TYPES]
        if not types:
            guess = [
                ("object", ("properties", "required", "additionalProperties")),
                ("array", ("items", "prefixItems", "minItems", "maxItems")),
                ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
                ("string", ("minLength", "maxLength", "pattern", "format")),
            ]
            types = [name for name, keys in guess if any(k in s for k in keys)][:1] or ["string"]
        real = [x for x in types if x != "null"]
        choice = rnd.choice(real) if real and (len(real) == len(types) or rnd.random() < 0.9) else "null"
        minimal = depth > _SOFT_DEPTH or self.refs > 2 or self.nodes > _BUDGET
        if choice == "object":
            return self.obj(s, depth, minimal)
        if choice == "array":
            return self.arr(s, depth, minimal)
        if choice in ("integer", "number"):
            return self.number(s, choice == "integer")
        if choice == "boolean":
            return rnd.random() < 0.5
        return None if choice == "null" else self.string(s, key)

    def obj(self, s: dict[str, Any], depth: int, minimal: bool) -> dict[str, Any]:
        props = _dict(s, "properties")
        required = [r for r in _list(s, "required") if isinstance(r, str)]
        extra = s.get("additionalProperties", True)
        fill = extra if isinstance(extra, dict) else {}
        hi = _int(s, "maxProperties")
        room = (hi if hi is not None else 1 << 30) - len(set(required))
        chosen = set(required)
        for k in props:
            if k not in chosen and not minimal and room > 0 and self.rnd.random() < 0.6:
                chosen.add(k)
                room -= 1
        out: dict[str, Any] = {}
        for k in [*props, *required]:
            if k in chosen and k not in out:
                out[k] = self.value(props[k] if k in props else fill, depth + 1, k)
        bare = "properties" not in s and not minimal and extra is not False
        want = _int(s, "minProperties") or (self.rnd.randint(1, 2) if bare else 0)
        spare = [k for k in props if k not in out]
        for i in range(64):
            if len(out) >= want:
                break
            if spare:
                k = spare.pop(0)
                out[k] = self.value(props[k], depth + 1, k)
            elif extra is not False:
                k = self.words(1).split(" ")[0].lower() or f"key{i}"
                out[k if k not in out else f"{k}_{i}"] = self.value(fill, depth + 1, k)
        return out

    def arr(self, s: dict[str, Any], depth: int, minimal: bool) -> list[Any]:
        items = s.get("items", True)
        prefix = _list(s, "prefixItems")
        if isinstance(items, list):
            prefix, items = items, s.get("additionalItems", True)
        lo, hi = min(_int(s, "minItems") or 0, 1000), _int(s, "maxItems")
        if "contains" in s:
            lo = max(lo, _int(s, "minContains") or 1)
        top = min(hi, max(lo, 3)) if hi is not None else max(lo, 3)
        count = lo if minimal else self.rnd.randint(min(max(lo, 1), top), top)
        if items is False:
            count = min(count, len(prefix))
        out: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else items
            if i == len(prefix) and "contains" in s:
                sub = self.merge(items, s["contains"])
            got = self.value(sub, depth + 1, "")
            for _ in range(24 if s.get("uniqueItems") is True else 0):
                if not any(_eq(got, x) for x in out):
                    break
                got = self.value(sub, depth + 1, "")
            out.append(got)
        return out

    def number(self, s: dict[str, Any], integer: bool) -> int | float:
        rnd = self.rnd
        lo, hi, xlo, xhi = (_num(s, k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
        step = 1 if integer else 0.01
        lows = [x for x in (lo, None if xlo is None else xlo + step) if x is not None]
        highs = [x for x in (hi, None if xhi is None else xhi - step) if x is not None]
        a = max(lows) if lows else (min(highs) - 100 if highs else 0)
        b = min(highs) if highs else a + 100
        if integer:
            a, b = math.ceil(a), math.floor(b)
        m = _num(s, "multipleOf")
        if m and m > 0:
            ka, kb = math.ceil(a / m), math.floor(b / m)
            if ka > kb:
                return a
            for _ in range(8):
                v = round(rnd.randint(ka, min(kb, ka + 1000)) * m, 10)
                v = int(v) if integer or float(v).is_integer() else v
                if self.ok(v, {"multipleOf": m}) and (not integer or _is_type(v, "integer")):
                    return v
            return 0 if a <= 0 <= b else a
        if integer or b < a:
            return int(rnd.randint(int(a), int(b))) if b >= a else int(a)
        v = round(rnd.uniform(a, b), 2)
        return v if a <= v <= b else a

    def string(self, s: dict[str, Any], key: str) -> str:
        rnd, lo, hi = self.rnd, min(_int(s, "minLength") or 0, 100_000), _int(s, "maxLength")
        pattern = s.get("pattern")
        if isinstance(pattern, str):
            cands = [self.regex(pattern) for _ in range(3)]
            cands += [
                self.words(1),
                self.words(2).replace(" ", "-"),
                str(rnd.randint(0, 99999)),
                self.fmt("email"),
                self.fmt("date"),
                self.fmt("uuid"),
                self.words(1).upper(),
            ]
            cands += [e for e in _list(s, "examples") if isinstance(e, str)]
            for c in cands:
                if c is not None and self.ok(c, {k: s[k] for k in ("pattern", "minLength", "maxLength") if k in s}):
                    return c
            return next((c for c in cands if c is not None and _search(pattern, c)), cands[-1] or "")
        k = key.lower()
        hint = (
            s.get("format")
            if isinstance(s.get("format"), str)
            else next(
                (
                    f
                    for f, words in (
                        ("email", ("email",)),
                        ("uri", ("url", "uri", "link", "website")),
                        ("date-time", ("timestamp", "datetime", "_at")),
                        ("date", ("date", "birthday")),
                        ("uuid", ("uuid", "guid")),
                    )
                    if any(w in k for w in words)
                ),
                None,
            )
        )
        text = self.fmt(hint) if hint else None
        if text is None:
            text = self.words(
                rnd.randint(4, 10)
                if any(w in k for w in ("desc", "text", "content", "message", "summary", "reason", "body"))
                else rnd.randint(1, 3)
            )
            if "name" in k or "title" in k or "city" in k:
                text = text.title()
        for _ in range(64):
            if len(text) >= lo:
                break
            text = f"{text} {self.words(2)}".strip() or text + "x"
        text = text + "x" * (lo - len(text))
        if hi is not None and len(text) > hi:
            cut = text[:hi]
            text = cut.rstrip() if len(cut.rstrip()) >= lo else cut.replace(" ", "x")
        return text

    def fmt(self, name: str | None) -> str | None:
        r = self.rnd
        word = re.sub(r"[^a-z]", "", self.words(1).lower()) or "user"
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

    def regex(self, pattern: str) -> str | None:
        if _sre is None:
            return None
        try:
            return self.emit(_sre.parse(pattern), 0)
        except Exception:
            return None

    def emit(self, seq: Any, depth: int) -> str:
        rnd, out = self.rnd, []
        for op, arg in seq:
            name = str(op)
            if name == "LITERAL":
                out.append(chr(arg))
            elif name in ("ANY", "NOT_LITERAL"):
                out.append(rnd.choice("abcdefgh".replace(chr(arg) if name == "NOT_LITERAL" else "", "")))
            elif name == "IN":
                out.append(self.charset(arg))
            elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, hi, sub = arg
                out.extend(self.emit(sub, depth + 1) for _ in range(rnd.randint(lo, min(hi, lo + 3))))
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                out.append(self.emit(arg[-1] if isinstance(arg, tuple) else arg, depth + 1))
            elif name == "BRANCH":
                out.append(self.emit(rnd.choice(arg[1]), depth + 1))
            elif name not in ("AT", "ASSERT", "ASSERT_NOT", "GROUPREF"):
                raise ValueError(name)
        return "".join(out)

    def charset(self, items: Any) -> str:
        names = [(str(op), arg) for op, arg in items]
        pool: list[str] = []
        cats = {
            "CATEGORY_DIGIT": "0123456789",
            "CATEGORY_WORD": "abcdefxyz0123_",
            "CATEGORY_SPACE": " ",
            "CATEGORY_NOT_DIGIT": "abcxyz",
            "CATEGORY_NOT_WORD": "-. ",
            "CATEGORY_NOT_SPACE": "abc123",
        }
        for name, arg in names:
            if name == "LITERAL":
                pool.append(chr(arg))
            elif name == "RANGE":
                pool.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 40) + 1))
            elif name == "CATEGORY":
                pool.extend(cats.get(str(arg), "a"))
        if names and names[0][0] == "NEGATE":
            pool = [c for c in "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_. " if c not in pool]
        return self.rnd.choice(pool or ["a"])
