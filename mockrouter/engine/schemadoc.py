"""A JSON Schema as the generator reads it: ``$ref`` resolution, subschema merging, and a small validator.

:class:`SchemaDoc` resolves local ``$ref`` (``#/$defs/...``, ``#/definitions/...``) against its root, merges two
subschemas (properties, required, types, enums and bounds combined), flattens ``allOf``, and checks a value
(``ok``: types, ``const``/``enum``, numeric and size bounds, ``pattern``, properties and items, ``allOf``/``anyOf``/
``oneOf``/``not``). ``schemagen`` uses the checks for ``oneOf`` exclusivity, enums, defaults and patterns. The
small helpers read one keyword, ignoring a value of the wrong type.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "HARD_DEPTH",
    "SchemaDoc",
    "is_type",
    "json_equal",
    "list_at",
    "mapping_at",
    "matches",
    "number_at",
    "size_at",
]

HARD_DEPTH = 40  # nesting beyond which schemas are no longer followed
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains")


def number_at(s: dict[str, Any], key: str) -> float | None:
    """The finite number at ``key``, else None."""
    v = s.get(key)
    return v if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else None


def size_at(s: dict[str, Any], key: str) -> int | None:
    """A length or count bound: the number at ``key`` as a non-negative int, else None."""
    v = number_at(s, key)
    return max(int(v), 0) if v is not None else None


def mapping_at(s: dict[str, Any], key: str) -> dict[str, Any]:
    v = s.get(key)
    return v if isinstance(v, dict) else {}


def list_at(s: dict[str, Any], key: str) -> list[Any]:
    v = s.get(key)
    return v if isinstance(v, list) else []


def is_type(v: Any, t: Any) -> bool:
    """Whether ``v`` is of JSON Schema type ``t`` (an integral float is an integer, a bool is no number)."""
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer()
    return {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}.get(t) is type(v) or (
        t == "number" and isinstance(v, int | float) and not isinstance(v, bool)
    )


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0`` but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return type(a) in (int, float) and type(b) in (int, float) and a == b or type(a) is type(b) and a == b


def matches(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (True for a pattern Python cannot compile)."""
    try:
        return re.search(pattern, text) is not None
    except (re.error, TypeError):
        return True  # a regex Python cannot compile: do not hold it against the value


class SchemaDoc:
    """The schema ``root`` whose local ``$ref``s the methods resolve."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, s: Any) -> Any:
        """``s`` with its local ``$ref`` followed (siblings of ``$ref`` merged in); ``{}`` for a cycle or a remote one."""
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
        """One subschema with the constraints of both (best effort: ``a``'s keywords win where they cannot combine)."""
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
                out[k] = [e for e in out[k] if any(json_equal(e, x) for x in v)] or out[k]
            elif k in _LOWER + _UPPER and number_at(b, k) is not None and number_at(out, k) is not None:
                out[k] = (max if k in _LOWER else min)(out[k], v)
            elif k in ("items", "additionalProperties") and isinstance(v, dict) and isinstance(out[k], dict):
                out[k] = {"allOf": [out[k], v]}
            elif k == "allOf" and isinstance(v, list) and isinstance(out[k], list):
                out[k] = out[k] + v
        return out

    def flatten(self, s: Any, depth: int) -> Any:
        """``s`` resolved, with its ``allOf`` merged in."""
        s = self.resolve(s)
        while isinstance(s, dict) and isinstance(s.get("allOf"), list) and depth < HARD_DEPTH:
            subs, s = s["allOf"], {k: v for k, v in s.items() if k != "allOf"}
            for sub in subs:
                s = self.merge(s, self.flatten(sub, depth + 1))
            depth += 1
        return s

    def ok(self, v: Any, s: Any, depth: int = 0) -> bool:
        """Whether ``v`` is valid against ``s`` (the keywords the generator produces; others are ignored)."""
        s = self.resolve(s)
        if s is False:
            return False
        if not isinstance(s, dict) or depth > HARD_DEPTH:
            return True
        t = s.get("type")
        if t is not None and not any(is_type(v, x) for x in (t if isinstance(t, list) else [t])):
            return False
        if (
            "const" in s
            and not json_equal(v, s["const"])
            or isinstance(s.get("enum"), list)
            and not any(json_equal(v, e) for e in s["enum"])
        ):
            return False
        if isinstance(v, int | float) and not isinstance(v, bool):
            lo, hi, xlo, xhi, m = (
                number_at(s, k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
            )
            if lo is not None and v < lo or hi is not None and v > hi or xlo is not None and v <= xlo:
                return False
            if xhi is not None and v >= xhi or m and (v / m) != int(v / m):
                return False
        if isinstance(v, str):
            n, lo_n, hi_n = len(v), size_at(s, "minLength"), size_at(s, "maxLength")
            if lo_n is not None and n < lo_n or hi_n is not None and n > hi_n:
                return False
            if isinstance(s.get("pattern"), str) and not matches(s["pattern"], v):
                return False
        if isinstance(v, dict):
            props = mapping_at(s, "properties")
            if any(r not in v for r in list_at(s, "required") if isinstance(r, str)):
                return False
            extra = s.get("additionalProperties", True)
            for k, x in v.items():
                if not self.ok(x, props[k] if k in props else extra, depth + 1):
                    return False
        if isinstance(v, list):
            lo_i, hi_i = size_at(s, "minItems"), size_at(s, "maxItems")
            if lo_i is not None and len(v) < lo_i or hi_i is not None and len(v) > hi_i:
                return False
            prefix = list_at(s, "prefixItems")
            if any(not self.ok(x, sub, depth + 1) for x, sub in zip(v, prefix, strict=False)):
                return False
            if any(not self.ok(x, s.get("items", True), depth + 1) for x in v[len(prefix) :]):
                return False
            if s.get("uniqueItems") is True and any(json_equal(a, b) for i, a in enumerate(v) for b in v[i + 1 :]):
                return False
        subs = {k: s[k] for k in ("allOf", "anyOf", "oneOf") if isinstance(s.get(k), list)}
        hits = {k: [self.ok(v, x, depth + 1) for x in sub] for k, sub in subs.items()}
        if "allOf" in hits and not all(hits["allOf"]) or "anyOf" in hits and not any(hits["anyOf"]):
            return False
        if "oneOf" in hits and sum(hits["oneOf"]) != 1:
            return False
        return not ("not" in s and self.ok(v, s["not"], depth + 1))
