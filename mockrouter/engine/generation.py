"""Deterministic, plausible completion content for a chat-completions or legacy-completions request body.

Everything random comes from ``seeding.rng(seed, fingerprint(body minus routing/streaming keys), "generation/<i>")``
so streaming, usage accounting and provider routing options never change the text. Words and sentences
(:class:`~mockrouter.engine.prose.Lorem`, Faker's lorem) are drawn from that rng too. Token estimates are :mod:`~mockrouter.engine.tokens`;
the text of an answer or of reasoning :mod:`~mockrouter.engine.prose`; tool arguments
:mod:`~mockrouter.engine.schemagen`.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from random import Random
from typing import Any

from mockrouter import seeding
from mockrouter.engine import schemagen
from mockrouter.engine.bodies import content_text, last_user_text, messages_of, prompt_text
from mockrouter.engine.prose import Lorem, answer, reasoning_text
from mockrouter.engine.shaped import Shape, render, shape_of
from mockrouter.engine.tokens import Prompt, count_prompt, estimate_tokens, pieces, truncate
from mockrouter.values import once, value

# the token estimates stay importable from here: callers count a prompt and stream a choice by them
__all__ = ["Choice", "Prompt", "Spec", "ToolCall", "count_prompt", "estimate_tokens", "generate", "pieces"]


@value
class ToolCall:
    id: str
    name: str
    arguments: str


@value
class Choice:
    index: int
    content: str | None
    reasoning: str | None
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str
    completion_tokens: int
    reasoning_tokens: int


@value
class Spec:
    reasoning: str = "none"
    #: the model's catalogue reasoning block: reasons whatever the request says / unless it is turned off
    reasoning_mandatory: bool = False
    reasoning_default: bool = True
    default_effort: str = "medium"
    max_output_tokens: int | None = None
    content: str | None = None
    tool_calls: tuple[tuple[str, str], ...] | None = None


_IGNORED = frozenset({"stream", "stream_options", "usage", "provider", "models", "route", "transforms", "plugins"})
_EFFORT = {"minimal": (16, 48), "low": (32, 120), "medium": (64, 240), "high": (128, 400), "xhigh": (192, 400)}
_ALNUM = string.ascii_letters + string.digits
_LEAD = frozenset(
    "what whats what's which who whom how why when where is are was were do does did can could would should will "
    "please tell me about explain describe give list show i you we a an the of some any my your briefly quickly "
    "hi hello hey".split()
)
_BREAK = frozenset("and or but why how what when where which who is are was were do does so because if than".split())
_TRAIL = frozenset("of the a an in on for to with at by from".split())
_CLAUSE = re.compile(r"[.?!;:,\n]")
_WORDS = re.compile(r"[\w'-]+")
_NAMES = re.compile(r"(?<=[\w,] )[A-Z][a-z]+(?: [A-Z][a-z]+)*")
_DEFAULT_SPEC = Spec()
_NO_PARAMETERS: dict[str, Any] = {"type": "object", "properties": {}}


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class _Tool:
    name: str
    description: str
    parameters: Any


class _Request:
    """What the body asks for, read once for all choices."""

    def __init__(self, body: Mapping[str, Any], spec: Spec) -> None:
        self.spec, self.body = spec, body
        limits = [
            v
            for v in (_int(body.get("max_tokens")), _int(body.get("max_completion_tokens")), spec.max_output_tokens)
            if v is not None
        ]
        self.limit = max(0, min(limits)) if limits else None
        stop = body.get("stop")
        self.stops = [
            s
            for s in ([stop] if isinstance(stop, str) else stop if isinstance(stop, list) else [])
            if isinstance(s, str) and s
        ]
        raw = body.get("reasoning")
        reasoning: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        effort = reasoning.get("effort") or body.get("reasoning_effort")
        self.effort = str(effort or spec.default_effort)
        off = reasoning.get("enabled") is False or self.effort == "none"
        asked = bool(reasoning) or effort is not None or body.get("include_reasoning") is True
        wanted = spec.reasoning_mandatory or (not off and (asked or spec.reasoning_default))
        self.think = spec.reasoning in ("hidden", "visible") and wanted
        self.reasoning_cap = _int(reasoning.get("max_tokens"))

    # what only generated text needs (a stub's content needs none of it): worked out on first use

    @once
    def _messages(self) -> list[Mapping[str, Any]]:
        return messages_of(self.body)

    @once
    def last_role(self) -> str:
        return str(self._messages[-1].get("role")) if self._messages else ""

    @once
    def prefill(self) -> str:
        """An assistant message last (or a legacy prompt): the text the answer continues."""
        last = content_text(self._messages[-1].get("content")) if self.last_role == "assistant" else ""
        return last or prompt_text(self.body)

    @once
    def question(self) -> str:
        return last_user_text(self.body, self._messages)

    @once
    def tools(self) -> list[_Tool]:
        listed = self.body.get("tools")
        return [
            _Tool(str(f["name"]), str(f.get("description") or ""), f.get("parameters") or _NO_PARAMETERS)
            for t in (listed if isinstance(listed, list) else [])
            if isinstance(t, Mapping)
            and isinstance(f := t.get("function", t), Mapping)
            and isinstance(f.get("name"), str)
        ]

    @once
    def format(self) -> Mapping[str, Any]:
        rf = self.body.get("response_format")
        return rf if isinstance(rf, Mapping) else {}

    @once
    def shape(self) -> Shape | None:
        """The shape the prompt asks the answer to have (engine.shaped)."""
        return shape_of(self.body, self._messages)

    @once
    def topic(self) -> str:
        """A few words of the question's first clause (without its lead-in), for the answer to echo."""
        first = _CLAUSE.split(self.question.strip(), maxsplit=1)[0]
        words = _WORDS.findall(first)[:16]
        while words and words[0].lower() in _LEAD:
            words.pop(0)
        end = next((i for i, w in enumerate(words) if w.lower() in _BREAK), len(words))
        words = words[: min(end, 5)]
        while words and words[-1].lower() in _TRAIL:
            words.pop()
        return " ".join(words)

    @once
    def echo(self) -> list[str]:
        """The words an answer may repeat: the question's proper names, else its topic."""
        return [n for n in _NAMES.findall(self.question) if n.lower() not in _LEAD] or self.topic.split()

    @once
    def keywords(self) -> set[str]:
        """The question's words that pick among tools (worked out only when there are tools to pick)."""
        return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", self.question)} - _LEAD


def generate(
    body: Mapping[str, Any], seed: int, spec: Spec = _DEFAULT_SPEC, fp: str | None = None
) -> tuple[Choice, ...]:
    """The choices of a request; ``fp``: its fingerprint when the caller has it (body minus the routing keys)."""
    n = max(1, min(_int(body.get("n")) or 1, 128))
    req = _Request(body, spec)
    if spec.content is not None and not spec.tool_calls and not req.think:  # fixed: nothing to draw
        return tuple(_choice(req, _NO_DRAWS, i) for i in range(n))
    fp = fp or seeding.fingerprint({k: v for k, v in body.items() if k not in _IGNORED})
    return tuple(_choice(req, seeding.rng(seed, fp, f"generation/{i}"), i) for i in range(n))


class _NoDraws(Random):
    """The generator of a choice whose content is fixed (a stub's): seeding one would cost more than the rest of
    the choice, and nothing may be drawn from it."""

    def random(self) -> float:
        raise AssertionError("a fixed answer draws nothing")

    def getrandbits(self, k: int, /) -> int:
        raise AssertionError("a fixed answer draws nothing")


_NO_DRAWS = _NoDraws(0)


def _choice(req: _Request, rng: Random, index: int) -> Choice:
    fake, spec = Lorem(rng), req.spec

    def words(k: int) -> str:
        echo = req.echo
        if echo and rng.random() < 0.3:
            start = rng.randrange(len(echo))
            return " ".join(echo[start : start + max(k, 1)])
        return " ".join(fake.words(max(k, 1)))

    r_tokens, r_text = 0, None
    if req.think:
        lo, hi = _EFFORT.get(req.effort, _EFFORT["medium"])
        target = min(rng.randint(lo, hi), req.reasoning_cap if req.reasoning_cap is not None else hi)
        if spec.reasoning == "visible" and target > 0:
            r_text = reasoning_text(fake, rng, req.topic, target)
            r_text = truncate(r_text, req.reasoning_cap) if req.reasoning_cap is not None else r_text
            r_tokens = estimate_tokens(r_text)
        else:
            r_tokens = max(target, 0)
    if req.limit is not None and r_tokens >= req.limit:
        return Choice(index, "", truncate(r_text, req.limit) if r_text else None, (), "length", 0, req.limit)
    budget = None if req.limit is None else req.limit - r_tokens

    calls: tuple[ToolCall, ...] = ()
    content: str | None
    if spec.tool_calls:
        calls = tuple(ToolCall(_call_id(rng), name, args) for name, args in spec.tool_calls)
        content = spec.content
    elif spec.content is not None:
        content = spec.content
    elif chosen := _pick_tools(req, rng):
        calls = tuple(
            ToolCall(_call_id(rng), t.name, json.dumps(schemagen.instance(t.parameters, rng, words))) for t in chosen
        )
        content = None
    else:
        shaped = render(req.shape, rng, words) if req.shape is not None else None
        content = shaped if shaped is not None else answer(req.format, req.topic, req.prefill, fake, rng, words)

    finish = "tool_calls" if calls else "stop"
    used = sum(estimate_tokens(c.arguments) for c in calls)
    if content is not None:
        hits = [i for i in (content.find(s) for s in req.stops) if i >= 0]
        content = content[: min(hits)] if hits else content
        if budget is not None and estimate_tokens(content) + used > budget:
            content, finish = truncate(content, max(budget - used, 0)), "length"
    if budget is not None and used > budget:
        left, cut = budget, []
        for c in calls:
            cut.append(ToolCall(c.id, c.name, truncate(c.arguments, max(left, 0))))
            left -= estimate_tokens(c.arguments)
        calls, finish = tuple(cut), "length"
    tokens = estimate_tokens(content or "") + sum(estimate_tokens(c.arguments) for c in calls)
    return Choice(index, content, r_text, calls, finish, tokens, r_tokens)


def _call_id(rng: Random) -> str:
    return "call_" + "".join(rng.choice(_ALNUM) for _ in range(24))


def _pick_tools(req: _Request, rng: Random) -> list[_Tool]:
    tc = req.body.get("tool_choice")
    if not req.tools or tc == "none" or isinstance(tc, Mapping) and tc.get("type") == "none":
        return []
    if isinstance(tc, Mapping):
        fn = tc.get("function")
        name = fn.get("name") if isinstance(fn, Mapping) else tc.get("name")
        if isinstance(name, str):
            return [next((t for t in req.tools if t.name == name), _Tool(name, "", _NO_PARAMETERS))]
    elif tc != "required" and (req.last_role != "user" or rng.random() >= 0.85):
        return []
    overlap = [
        len(req.keywords & set(re.findall(r"[a-z]{3,}", f"{t.name} {t.description}".lower()))) for t in req.tools
    ]
    relevant = [(t, 1 + 4 * o) for t, o in zip(req.tools, overlap, strict=True) if o > 0 or not any(overlap)]
    pool, weights = [t for t, _ in relevant], [w for _, w in relevant]
    count = 2 if req.body.get("parallel_tool_calls") is not False and len(pool) > 1 and rng.random() < 0.3 else 1
    chosen: list[_Tool] = []
    for _ in range(count):
        i = rng.choices(range(len(pool)), weights)[0]
        chosen.append(pool.pop(i))
        weights.pop(i)
    return chosen
