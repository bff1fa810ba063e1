"""Content that follows the request: when the prompt says what shape the answer must have, the answer has it.

* a JSON Schema embedded in the prompt (fenced or bare, an object with ``properties``, ``$defs`` or
  ``"type": "object"``), as structured-prediction frameworks send it (LlamaIndex, prompt-only "function calling"),
  yields a valid instance of it;
* ``response_format: {"type": "json_object"}`` with key names the prompt asks for (quoted, or listed after
  "keys"/"fields") yields an object with exactly those keys;
* a system prompt (or the question) asking for a single word, a number or a list gets one.

:func:`shape_of` reads the request once (pure); :func:`render` makes the answer with the request's seeded
generator. Stubs and fixtures still win (the generator asks here only when nothing fixes the content), and an
explicit ``json_schema`` response format keeps its own path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

from mockrouter.engine import schemagen
from mockrouter.engine.bodies import last_user_text, messages_of, system_text

__all__ = ["Shape", "render", "shape_of"]

_FENCED = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)
_QUOTED = re.compile(r"[\"'`]([A-Za-z_][A-Za-z0-9_]{0,40})[\"'`]")
_LISTED = re.compile(
    r"\b(?:keys|fields|properties)\b[^.:\n]*?[:]?[ \t]*((?:[A-Za-z_]\w*(?:[ \t]*,[ \t]*|[ \t]+and[ \t]+|[ \t]*$)){1,12})",
    re.I | re.M,
)
_WORD = re.compile(r"\b(?:a single word|one word|single-word|one-word)\b", re.I)
_NUMBER = re.compile(
    r"\b(?:only (?:a|the) number|a single number|just (?:a|the) number|number only|one number)\b", re.I
)
_LIST = re.compile(r"\b(?:comma[- ]separated|bullet(?:ed)? list|a list of|as a list|numbered list)\b", re.I)
#: any of the three asks above (one pass over the prompt for the common case: none of them)
_ASKS = re.compile("|".join(p.pattern for p in (_WORD, _NUMBER, _LIST)), re.I)
#: a word every one of those asks contains: a prompt with none of them is not searched (the alternation costs
#: ~50 ns a character of prompt; finding these words, a few ns)
_ASK_WORDS = ("word", "number", "comma", "bullet", "list")
_NUMERIC_KEYS = re.compile(
    r"(?:^|_)(?:age|count|year|years|number|num|total|price|amount|score|rank|id|size|qty|quantity|population|"
    r"height|weight|length|width|rating|percent|temperature)$"
)


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str  # "schema" | "keys" | "word" | "number" | "list"
    schema: Mapping[str, Any] | None = None
    keys: tuple[str, ...] = ()
    comma: bool = False


def _objects(text: str) -> list[str]:
    """JSON objects written in ``text``: fenced blocks first, then bare balanced ``{...}`` spans."""
    found = _FENCED.findall(text)
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "{":
            start = i if depth == 0 else start
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start : i + 1])
    return found


def _schema_in(text: str) -> Mapping[str, Any] | None:
    for raw in _objects(text):
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        if isinstance(doc, dict) and ("properties" in doc or "$defs" in doc or doc.get("type") == "object"):
            return doc
    return None


def shape_of(body: Mapping[str, Any], messages: list[Mapping[str, Any]] | None = None) -> Shape | None:
    """The shape the request asks its answer to have, if it asks for one (``messages``: the body's, when the caller
    has read them: ``bodies.messages_of``)."""
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, Mapping) else None
    if kind == "json_schema":
        return None  # the response format's own schema decides
    messages = messages_of(body) if messages is None else messages
    system, user = system_text(body, messages), last_user_text(body, messages)
    both = f"{system}\n{user}"
    if "{" in both and (schema := _schema_in(both)) is not None:
        return Shape("schema", schema=schema)
    if kind == "json_object":
        keys = [k for k in _QUOTED.findall(both) if k.lower() not in ("json", "object", "true", "false", "null")]
        for group in _LISTED.findall(both):
            keys += re.findall(r"[A-Za-z_]\w*", group.replace(" and ", ","))
        keys = [k for k in dict.fromkeys(keys) if k.lower() not in ("and", "the", "with")]
        return Shape("keys", keys=tuple(keys[:12])) if keys else None
    if kind is not None:
        return None
    lowered = both.lower()
    if not any(w in lowered for w in _ASK_WORDS) or _ASKS.search(both) is None:
        return None
    if _WORD.search(system) or _WORD.search(user):
        return Shape("word")
    if _NUMBER.search(system) or _NUMBER.search(user):
        return Shape("number")
    if (match := _LIST.search(system) or _LIST.search(user)) is not None:
        return Shape("list", comma="comma" in match.group(0).lower())
    return None


def render(shape: Shape, rng: Random, words: Callable[[int], str]) -> str:
    """The answer in ``shape``, drawn from the request's seeded generator."""
    if shape.kind == "schema" and shape.schema is not None:
        return json.dumps(schemagen.instance(dict(shape.schema), rng, words))
    if shape.kind == "keys":
        return json.dumps(
            {
                k: rng.randint(1, 100) if _NUMERIC_KEYS.search(k.lower()) else words(rng.randint(1, 3))
                for k in shape.keys
            }
        )
    if shape.kind == "word":
        return words(1).split()[0].strip(".,;:!?").capitalize()
    if shape.kind == "number":
        return str(rng.randint(1, 1000))
    items = [words(rng.randint(1, 3)).strip(".") for _ in range(rng.randint(3, 5))]
    return ", ".join(items) if shape.comma else "\n".join(f"- {item}" for item in items)
