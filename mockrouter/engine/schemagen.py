"""Produce a plausible JSON value that validates against a JSON Schema (draft 2020-12 subset).

Covers what tool ``parameters`` and ``response_format.json_schema.schema`` use in practice: ``type`` (one or a
list), ``properties``/``required``/``additionalProperties``, ``enum``/``const``/``default``/``examples``, numeric
bounds and ``multipleOf``, string lengths, ``pattern`` (generated from the regex parse tree, then simple
candidates, then ``examples``), common ``format``s, ``items``/``prefixItems``/``contains`` with item counts and
``uniqueItems``, ``anyOf``/``oneOf`` (one branch, merged with its siblings; ``oneOf`` exclusivity is checked with a
small built-in validator), ``allOf`` (merged), local ``$ref`` (``#/$defs/...``, ``#/definitions/...``) with a
recursion guard, and OpenAPI ``nullable``. It never raises: an unsatisfiable schema gets a best effort.

Reading the schema (``$ref``, merging, the validator) is :mod:`~mockrouter.engine.schemadoc`; strings for
``format`` and ``pattern`` come from :mod:`~mockrouter.engine.schemastrings`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from mockrouter.engine.schemadoc import (
    HARD_DEPTH,
    SchemaDoc,
    is_type,
    json_equal,
    list_at,
    mapping_at,
    matches,
    number_at,
    size_at,
)
from mockrouter.engine.schemastrings import formatted, from_pattern

__all__ = ["instance"]

_WORDS = (
    "alpha bright cloud delta echo forest garden harbor island jade kettle lemon maple north ocean pepper quiet "
    "river silver timber urban velvet willow yellow zephyr amber canyon meadow summit lantern orbit"
).split()
_TYPES = ("string", "integer", "number", "boolean", "null", "object", "array")
_SOFT_DEPTH, _BUDGET = 7, 3000


def instance(schema: Any, rnd: random.Random, words: Callable[[int], str] | None = None) -> Any:
    """A JSON value valid against ``schema`` (best effort; deterministic for a given ``rnd`` state)."""
    gen = _Gen(schema, rnd, words or (lambda n: " ".join(rnd.choice(_WORDS) for _ in range(max(n, 1)))))
    try:
        return gen.value(schema, 0, "")
    except Exception:
        return {} if isinstance(schema, dict) and "properties" in schema else ""


class _Gen(SchemaDoc):
    """One ``instance`` call: its random stream and words, and the budget it spends (nodes made, ``$ref``s open)."""

    def __init__(self, root: Any, rnd: random.Random, words: Callable[[int], str]) -> None:
        super().__init__(root)
        self.rnd, self.words, self.nodes, self.refs = rnd, words, 0, 0

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
        if s is False or depth > HARD_DEPTH or self.nodes > 4 * _BUDGET:
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
        props = mapping_at(s, "properties")
        required = [r for r in list_at(s, "required") if isinstance(r, str)]
        extra = s.get("additionalProperties", True)
        fill = extra if isinstance(extra, dict) else {}
        hi = size_at(s, "maxProperties")
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
        want = size_at(s, "minProperties") or (self.rnd.randint(1, 2) if bare else 0)
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
        prefix = list_at(s, "prefixItems")
        if isinstance(items, list):
            prefix, items = items, s.get("additionalItems", True)
        lo, hi = min(size_at(s, "minItems") or 0, 1000), size_at(s, "maxItems")
        if "contains" in s:
            lo = max(lo, size_at(s, "minContains") or 1)
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
                if not any(json_equal(got, x) for x in out):
                    break
                got = self.value(sub, depth + 1, "")
            out.append(got)
        return out

    def number(self, s: dict[str, Any], integer: bool) -> int | float:
        rnd = self.rnd
        lo, hi, xlo, xhi = (number_at(s, k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"))
        step = 1 if integer else 0.01
        lows = [x for x in (lo, None if xlo is None else xlo + step) if x is not None]
        highs = [x for x in (hi, None if xhi is None else xhi - step) if x is not None]
        a = max(lows) if lows else (min(highs) - 100 if highs else 0)
        b = min(highs) if highs else a + 100
        if integer:
            a, b = math.ceil(a), math.floor(b)
        m = number_at(s, "multipleOf")
        if m and m > 0:
            ka, kb = math.ceil(a / m), math.floor(b / m)
            if ka > kb:
                return a
            for _ in range(8):
                v = round(rnd.randint(ka, min(kb, ka + 1000)) * m, 10)
                v = int(v) if integer or float(v).is_integer() else v
                if self.ok(v, {"multipleOf": m}) and (not integer or is_type(v, "integer")):
                    return v
            return 0 if a <= 0 <= b else a
        if integer or b < a:
            return int(rnd.randint(int(a), int(b))) if b >= a else int(a)
        v = round(rnd.uniform(a, b), 2)
        return v if a <= v <= b else a

    def string(self, s: dict[str, Any], key: str) -> str:
        rnd, lo, hi = self.rnd, min(size_at(s, "minLength") or 0, 100_000), size_at(s, "maxLength")
        pattern = s.get("pattern")
        if isinstance(pattern, str):
            cands = [from_pattern(pattern, self.rnd) for _ in range(3)]
            cands += [
                self.words(1),
                self.words(2).replace(" ", "-"),
                str(rnd.randint(0, 99999)),
                formatted("email", rnd, self.words),
                formatted("date", rnd, self.words),
                formatted("uuid", rnd, self.words),
                self.words(1).upper(),
            ]
            cands += [e for e in list_at(s, "examples") if isinstance(e, str)]
            for c in cands:
                if c is not None and self.ok(c, {k: s[k] for k in ("pattern", "minLength", "maxLength") if k in s}):
                    return c
            return next((c for c in cands if c is not None and matches(pattern, c)), cands[-1] or "")
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
        text = formatted(hint, rnd, self.words) if hint else None
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
