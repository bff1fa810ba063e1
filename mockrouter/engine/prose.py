"""The text of generated completions: answers (sentences near a token target, JSON, a prefill's rest) and reasoning.

Each function draws from the :class:`Lorem` and ``Random`` it is given (one generator, seeded per choice by
``generation``), in a fixed order, so the same seed gives the same text. :class:`Lorem` writes what Faker's lorem
provider writes (its locale's word list, read from Faker once per locale) but draws from the request's own
generator: no Faker instance to seed, lock or call per request. Its sentences come from pools (``SENTENCES`` of
each length, built once per locale and length from a fixed seed), so a sentence costs the request one draw, not one
per word.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Mapping
from random import Random
from typing import Any

from mockrouter.engine import schemagen
from mockrouter.engine.tokens import estimate_tokens

__all__ = ["SENTENCES", "Lorem", "answer", "reasoning_text", "word_pool"]

#: sentences in each pool (one pool per locale and number of words)
SENTENCES = 512


@functools.cache
def word_pool(locale: str = "en_US") -> tuple[str, ...]:
    """Faker's lorem words for ``locale``, read once (importing faker costs ~70 ms: only on first use)."""
    return tuple(importlib.import_module(f"faker.providers.lorem.{locale}").Provider.word_list)


@functools.cache
def sentence_pool(locale: str, nb_words: int) -> tuple[str, ...]:
    """``SENTENCES`` sentences of ``nb_words`` words in Faker's shape (uniform choices from the locale's word list,
    the first word title-cased, a full stop), the same in every process (a fixed seed), made on first use."""
    words, rng = word_pool(locale), Random(f"mockrouter/sentences/{locale}/{nb_words}")
    out = []
    for _ in range(SENTENCES):
        chosen = rng.choices(words, k=nb_words)
        chosen[0] = chosen[0].title()
        out.append(" ".join(chosen) + ".")
    return tuple(out)


class Lorem:
    """Faker's ``words`` and ``sentence`` (same words, same lengths, same shape), drawn from ``rng``: words one draw
    each from the locale's word list, a sentence one draw from the pool of its length (:func:`sentence_pool`)."""

    __slots__ = ("_choices", "_locale", "_pool", "_randint", "_random")

    def __init__(self, rng: Random, locale: str = "en_US") -> None:
        self._pool, self._choices, self._randint = word_pool(locale), rng.choices, rng.randint
        self._random, self._locale = rng.random, locale

    def words(self, nb: int = 3) -> list[str]:
        return self._choices(self._pool, k=nb)

    def word(self) -> str:
        return self._choices(self._pool)[0]

    def sentence(self, nb_words: int = 6, variable_nb_words: bool = True) -> str:
        if nb_words <= 0:
            return ""
        if variable_nb_words:  # Faker's randomize_nb_elements: 60% to 140%, at least one
            nb_words = max(1, nb_words * self._randint(60, 140) // 100)
        return sentence_pool(self._locale, nb_words)[int(self._random() * SENTENCES)]


_OPENERS = (
    "Regarding {t}: ",
    "As for {t}, ",
    "On {t}: ",
    "Here is the short version on {t}. ",
    "When it comes to {t}, ",
)
_THINK = ("First, ", "Next, ", "Also, ", "So ", "Then ", "")


def _sentences(fake: Lorem, rng: Random, target: int, count: int) -> list[str]:
    """Natural sentences totalling about ``target`` tokens (at most four; ``count`` sets their typical length)."""
    per, size = max(4, min(20, round(target / 1.6 / max(count, 1)))), 0
    out: list[str] = []
    for _ in range(4 if count > 0 else 0):
        sentence = fake.sentence(nb_words=max(3, per + rng.randint(-2, 2)), variable_nb_words=False)
        cost = estimate_tokens(sentence) + 1
        if out and size + cost > target + 8:
            break
        out.append(sentence)
        size += cost
        if size >= target:
            break
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "I " else text


def _json_object(fake: Lorem, rng: Random, topic: str) -> dict[str, Any]:
    extras: list[tuple[str, Callable[[], Any]]] = [
        ("topic", lambda: topic or " ".join(fake.words(2))),
        ("summary", lambda: fake.sentence(nb_words=8)),
        ("confidence", lambda: round(rng.uniform(0.5, 1.0), 2)),
        ("tags", lambda: fake.words(rng.randint(1, 3))),
        ("count", lambda: rng.randint(1, 50)),
        ("valid", lambda: rng.random() < 0.7),
    ]
    out: dict[str, Any] = {"answer": fake.sentence(nb_words=rng.randint(6, 14))}
    for key, make in rng.sample(extras, rng.randint(1, 3)):
        out[key] = make()
    return out


def answer(
    response_format: Mapping[str, Any],
    topic: str,
    prefill: str,
    fake: Lorem,
    rng: Random,
    words: Callable[[int], str],
) -> str:
    """An answer's text: a ``json_schema`` instance, a JSON object, the rest of a prefill, or a few sentences on
    ``topic`` (``words`` feeds schemagen's strings)."""
    kind = response_format.get("type")
    if kind == "json_schema":
        holder = response_format.get("json_schema")
        schema = holder.get("schema") if isinstance(holder, Mapping) else None
        if isinstance(schema, dict | bool):
            return json.dumps(schemagen.instance(schema, rng, words))
    if kind in ("json_object", "json_schema"):
        return json.dumps(_json_object(fake, rng, topic))
    target, count = rng.randint(12, 90), rng.randint(1, 4)
    if prefill:
        tail = prefill.rstrip()
        if tail.endswith("{"):
            return json.dumps(_json_object(fake, rng, topic))[1:]
        lead = "" if prefill[-1].isspace() else " "
        if tail[-1:] in (".", "!", "?", ":", ")"):
            return lead + " ".join(_sentences(fake, rng, target, count))
        phrase = " ".join(fake.words(rng.randint(3, 8))) + "."
        return lead + " ".join([phrase, *_sentences(fake, rng, target, count - 1)])
    parts = _sentences(fake, rng, target, count)
    if topic and rng.random() < 0.6:
        opener = rng.choice(_OPENERS).format(t=topic)
        parts[0] = opener + (_lower_first(parts[0]) if opener.endswith(", ") else parts[0])
    return " ".join(parts)


def reasoning_text(fake: Lorem, rng: Random, topic: str, target: int) -> str:
    text = f"The user is asking about {topic}." if topic else "Let me think about what is being asked."
    while estimate_tokens(text) < target:
        sentence = fake.sentence(nb_words=rng.randint(6, 16))
        prefix = rng.choice(_THINK)
        text += " " + (prefix + _lower_first(sentence) if prefix else sentence)
    return text
