"""Prompt caching, as OpenRouter and its providers bill it (pure: the state keeps the caches, the core asks).

* Implicit caching (endpoints with ``supports_implicit_caching``: OpenAI, DeepSeek, Gemini and the like): a prompt
  sharing a prefix of at least :data:`IMPLICIT_MIN_TOKENS` with a recent request of the same account on the same
  endpoint reads that prefix from the cache, in :data:`IMPLICIT_STEP` increments (OpenAI's 128-token blocks).
* Explicit ``cache_control`` breakpoints (Anthropic; up to :data:`MAX_BREAKPOINTS`; ``ttl`` 5 minutes or 1 hour): the
  prefix up to a breakpoint is written on first use (billed at the endpoint's ``input_cache_write``) and read after.
  Only endpoints that price cache writes support them.

A prefix is named by a digest of the canonical text of the prompt up to it; its tokens are estimated as the rest of
the mock estimates them (4 characters a token). Times are the mock's clock (``time_scale`` applies).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from mockrouter.engine.bodies import part_text
from mockrouter.values import value
from mockrouter.world import Endpoint

__all__ = [
    "IMPLICIT_MIN_TOKENS",
    "IMPLICIT_STEP",
    "IMPLICIT_TTL_S",
    "MAX_BREAKPOINTS",
    "CachePlan",
    "Prefix",
    "breakpoints",
    "implicit_prefixes",
    "plan_cache",
    "prefixes",
    "supports_explicit",
    "write_price",
]

IMPLICIT_MIN_TOKENS = 1024
IMPLICIT_STEP = 128
IMPLICIT_TTL_S = 300.0  # OpenAI keeps a prefix 5-10 minutes after its last use
MAX_BREAKPOINTS = 4
_TTL = {"5m": 300.0, "1h": 3600.0}
_CHARS_PER_TOKEN = 4


@value
class Prefix:
    tokens: int  # the prompt tokens up to here
    digest: str
    ttl_s: float
    explicit: bool = False


@value
class CachePlan:
    """What a request reads from the cache and writes to it on its serving endpoint."""

    cached_tokens: int = 0
    write_tokens: int = 0
    write_ttl_s: float = 0.0
    stored: tuple[Prefix, ...] = ()  # what the cache holds after the request (refreshed or new)

    @property
    def active(self) -> bool:
        return bool(self.cached_tokens or self.write_tokens or self.stored)


def _canonical(body: Mapping[str, Any]) -> list[str]:
    """The prompt as the ordered pieces a provider caches: the tools, then each message part as its text (a part
    that is not text as its JSON), each led by its role."""
    pieces = [json.dumps(body.get("tools"), sort_keys=True, separators=(",", ":")) if body.get("tools") else ""]
    for message in body.get("messages") or ():
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        for part in content if isinstance(content, list) else [content]:
            text = part_text(part)
            if text is None:
                text = part if isinstance(part, str) else json.dumps(part, sort_keys=True, separators=(",", ":"))
            pieces.append(f"{message.get('role')}:{text}")
    return pieces


_DIGEST_SIZE = 12


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_SIZE).hexdigest()


def implicit_prefixes(body: Mapping[str, Any], prompt_tokens: int) -> list[Prefix]:
    """Every cacheable prefix of the prompt, longest last: from the minimum, one per block."""
    if prompt_tokens < IMPLICIT_MIN_TOKENS:  # too short to cache: not worth writing its text out
        return []
    text = "".join(_canonical(body))
    total = min(prompt_tokens, len(text) // _CHARS_PER_TOKEN)
    out = []
    data = text.encode("utf-8", "surrogatepass")
    # a block is so many characters: an ASCII prompt's are its bytes (encoded once), any other's are encoded a block
    # at a time
    blocks = memoryview(data) if len(data) == len(text) else None
    running, done = hashlib.blake2b(digest_size=_DIGEST_SIZE), 0  # each prefix's digest from the last one's state:
    for tokens in range(IMPLICIT_MIN_TOKENS, total + 1, IMPLICIT_STEP):  # every byte hashed once, not once a prefix
        end = tokens * _CHARS_PER_TOKEN
        running.update(blocks[done:end] if blocks is not None else text[done:end].encode("utf-8", "surrogatepass"))
        done = end
        out.append(Prefix(tokens, running.copy().hexdigest(), IMPLICIT_TTL_S))
    return out


def breakpoints(body: Mapping[str, Any]) -> list[Prefix]:
    """The prefixes ``cache_control`` marks (on a message part, or on a message with string content)."""
    out: list[Prefix] = []
    pieces = iter(_canonical(body))
    text = next(pieces)
    for message in body.get("messages") or ():
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        parts: Sequence[Any] = content if isinstance(content, list) else [content]
        for part in parts:
            text += next(pieces)
            control = part.get("cache_control") if isinstance(part, Mapping) else None
            if not isinstance(part, Mapping) and parts is not content:
                control = message.get("cache_control")
            if isinstance(control, Mapping):
                ttl = _TTL.get(str(control.get("ttl") or "5m"), 300.0)
                out.append(Prefix(max(1, len(text) // _CHARS_PER_TOKEN), _digest(text), ttl, explicit=True))
    control = body.get("cache_control")
    if isinstance(control, Mapping):  # automatic caching: a breakpoint at the end of the prompt
        ttl = _TTL.get(str(control.get("ttl") or "5m"), 300.0)
        out.append(Prefix(max(1, len(text) // _CHARS_PER_TOKEN), _digest(text), ttl, explicit=True))
    return out[-MAX_BREAKPOINTS:]


def supports_explicit(endpoint: Endpoint) -> bool:
    """Explicit breakpoints need an endpoint that prices cache writes (Anthropic, Bedrock and Vertex for Claude)."""
    return "input_cache_write" in endpoint.pricing


def prefixes(endpoint: Endpoint, body: Mapping[str, Any], prompt_tokens: int) -> list[Prefix]:
    """The prefixes of this prompt the serving ``endpoint`` caches: its breakpoints where it supports them, else
    the implicit blocks where it caches implicitly (explicit breakpoints elsewhere are ignored, as providers do)."""
    if supports_explicit(endpoint):
        marks = breakpoints(body)
        if marks:
            return marks
    if endpoint.supports_implicit_caching:
        return implicit_prefixes(body, prompt_tokens)
    return []


def plan_cache(found: Sequence[Prefix], live: Mapping[str, float], prompt_tokens: int) -> CachePlan:
    """What a request with these prefixes reads (the longest ``live`` one) and, for breakpoints, writes."""
    if not found:
        return CachePlan()
    read = min(max((p.tokens for p in found if p.digest in live), default=0), prompt_tokens)
    if not found[0].explicit:
        return CachePlan(read, 0, 0.0, tuple(found))
    new = [p for p in found if p.digest not in live and p.tokens > read]
    write = min(max(p.tokens for p in new) - read, prompt_tokens - read) if new else 0
    return CachePlan(read, max(write, 0), max((p.ttl_s for p in new), default=0.0), tuple(found))


def write_price(endpoint: Endpoint, ttl_s: float) -> Decimal:
    """A cache write: the endpoint's ``input_cache_write`` (5 minutes, 1.25x input), twice the input for 1 hour."""
    if ttl_s > 300.0:
        return endpoint.price("prompt") * 2
    return endpoint.price("input_cache_write") or endpoint.price("prompt")
