"""Reading request bodies: what a client asked for, and how the journal keeps it."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import orjson

from mockrouter import errors
from mockrouter.state.journal import redact_body

__all__ = [
    "JOURNAL_BODY_BYTES",
    "decode",
    "journal_body",
    "last_user_text",
    "reasoning_format",
    "upstream_body",
    "usage_requested",
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


def last_user_text(body: dict[str, Any]) -> str:
    for m in reversed(body.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
                )
    prompt = body.get("prompt")
    return prompt if isinstance(prompt, str) else ""


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
