"""Reading request bodies: what a client asked for, and how the journal keeps it."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

import orjson

from mockrouter import errors
from mockrouter.state.journal import redact_body

__all__ = [
    "JOURNAL_BODY_BYTES",
    "decode",
    "journal_body",
    "content_text",
    "last_user_text",
    "messages_of",
    "part_text",
    "prompt_text",
    "reasoning_format",
    "system_text",
    "upstream_body",
    "usage_requested",
    "user_text",
]

#: bodies up to this size are kept whole in the journal; larger ones as size, digest and head
JOURNAL_BODY_BYTES = 1024 * 1024
#: a run of 19 digits: maybe an integer beyond 64 bits (below -2**63 or above 2**64 - 1), which orjson would read as a
#: float (the standard library keeps it an integer)
_LONG_NUMBER = b"0" * 19
#: every digit to ``0``, every other byte to a space: a run of 19 digits is then a plain substring (a regex scan
#: costs ~7 ns a byte of body, the translation and the search under 1)
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
#: ``reasoning_details[].format`` by provider slug (``unknown`` for the others)
_REASONING_FORMATS = {
    "openai": "openai-responses-v1",
    "azure": "azure-openai-responses-v1",
    "xai": "xai-responses-v1",
    "anthropic": "anthropic-claude-v1",
    "google-vertex": "google-gemini-v1",
    "google-ai-studio": "google-gemini-v1",
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def decode(raw: bytes, want_object: bool = True) -> Any:
    """A request body as a JSON object (any JSON value with ``want_object=False``); 400 with the reason for
    anything else (NaN, Infinity and numbers out of range too). orjson reads it when it can; what it refuses
    (lone surrogates, out-of-range numbers, invalid JSON) takes the standard library's path, for its value or its
    message."""
    if _LONG_NUMBER not in raw.translate(_DIGITS):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
        else:
            if want_object and not isinstance(body, dict):
                raise errors.bad_request("Invalid request body: expected a JSON object")
            return body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(f"Invalid request body: not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not text.strip():
        return {}
    try:
        body = json.loads(text, parse_constant=_reject_constant, parse_float=_finite)
    except RecursionError:
        raise errors.bad_request("Invalid JSON in request body: nested too deeply") from None
    except ValueError as exc:
        raise errors.bad_request(f"Invalid JSON in request body: {exc}") from None
    if want_object and not isinstance(body, dict):
        raise errors.bad_request("Invalid request body: expected a JSON object")
    return body


def usage_requested(body: dict[str, Any]) -> bool:
    """Era A: whether the client asked for cost accounting (``usage.include`` / ``stream_options``)."""
    usage = body.get("usage")
    options = body.get("stream_options")
    return bool(isinstance(usage, dict) and usage.get("include")) or bool(
        isinstance(options, dict) and options.get("include_usage")
    )


def part_text(part: Any) -> str | None:
    """The text of one message content part: a ``{"type": "text", "text": ...}`` part's text; ``None`` for any other
    part (an image, audio, a file). Every reader of a message's words goes through this one rule."""
    if isinstance(part, Mapping) and part.get("type") == "text":
        text = part.get("text")
        return text if isinstance(text, str) else ""
    return None


def content_text(content: Any) -> str:
    """A message's ``content`` as plain text: a string as it is; a list of parts, its text parts joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(t for t in map(part_text, content) if t is not None)
    return ""


def prompt_text(body: Mapping[str, Any]) -> str:
    """A legacy completion's ``prompt`` as text: a string, or the last string of a list."""
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        return next((p for p in reversed(prompt) if isinstance(p, str)), "")
    return prompt if isinstance(prompt, str) else ""


def messages_of(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The request's messages that are objects (anything else in the list is skipped by every reader)."""
    messages = body.get("messages")
    return [m for m in messages if isinstance(m, Mapping)] if isinstance(messages, list) else []


def last_user_text(body: Mapping[str, Any], messages: list[Mapping[str, Any]] | None = None) -> str:
    """The question: the last user message's text; without a user message, the legacy prompt's."""
    for m in reversed(messages_of(body) if messages is None else messages):
        if m.get("role") == "user":
            return content_text(m.get("content"))
    return prompt_text(body)


def system_text(body: Mapping[str, Any], messages: list[Mapping[str, Any]] | None = None) -> str:
    """The system (and developer) messages' texts, joined by spaces."""
    return " ".join(
        content_text(m.get("content"))
        for m in (messages_of(body) if messages is None else messages)
        if m.get("role") in ("system", "developer")
    )


def user_text(body: Mapping[str, Any]) -> str:
    """All user-authored text of a request, one line each (moderation reads it): the legacy prompt's strings, then
    the user, system and developer messages' texts."""
    prompt = body.get("prompt")
    parts = (
        [prompt]
        if isinstance(prompt, str)
        else [p for p in prompt if isinstance(p, str)]
        if isinstance(prompt, list)
        else []
    )
    parts += (
        content_text(m.get("content")) for m in messages_of(body) if m.get("role") in ("user", "system", "developer")
    )
    return "\n".join(parts)


def reasoning_format(provider_slug: str) -> str:
    """The ``format`` of a provider's ``reasoning_details`` (``unknown`` for providers not listed)."""
    return _REASONING_FORMATS.get(provider_slug, "unknown")


def upstream_body(body: dict[str, Any], model_id: str) -> dict[str, Any]:
    """What OpenRouter would forward upstream (``debug.echo_upstream_body``)."""
    skip = ("provider", "models", "route", "transforms", "plugins", "usage", "debug")
    upstream = {k: v for k, v in body.items() if k not in skip}
    upstream["model"] = model_id.split("/", 1)[1]
    return upstream


def journal_body(raw: bytes) -> Any:
    """The body as the journal keeps it, credentials redacted: parsed JSON, else text; very large bodies as
    size + digest + head."""
    if len(raw) > JOURNAL_BODY_BYTES:
        head = raw[:4096]
        return {
            "truncated": True,
            "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "head": redact_body(head.decode("utf-8", "replace"), head),
        }
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError):
        doc = raw.decode("utf-8", "replace")
    return redact_body(doc, raw)
