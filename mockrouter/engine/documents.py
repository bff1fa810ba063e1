"""Wire documents as plain dicts: completions and stream chunks (catalogue documents: ``catalogue_documents``).

Pure builders (no HTTP). Field order follows what OpenRouter sends on the wire (contract §5, §6, §10-§13).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mockrouter.calls import Run, json_bytes
from mockrouter.engine.generation import Choice
from mockrouter.engine.logprobs import logprobs, token_logprobs
from mockrouter.engine.tokens import pieces
from mockrouter.values import value

__all__ = [
    "Served",
    "chat_body",
    "chat_chunks",
    "stream_error_chunk",
    "text_body",
    "text_chunks",
]


@value
class Served:
    """Who served a completion, for the top-level fields."""

    id: str
    created: int
    model: str
    provider: str
    native_finish_reason: str
    reasoning_format: str = "unknown"
    #: content and finish chunks carry ``"system_fingerprint": null`` (the launch-era captures); else omitted
    null_fingerprint: bool = False
    #: ``top_logprobs`` when the request asked for ``logprobs`` and the endpoint lists it; None: ``logprobs: null``
    top_logprobs: int | None = None


def _native(served: Served, finish: str) -> str:
    if finish == "stop":
        return served.native_finish_reason
    return {
        "length": "max_tokens" if served.native_finish_reason == "end_turn" else "length",
        "tool_calls": "tool_calls",
    }.get(finish, finish)


def _reasoning_details(served: Served, choice: Choice, hidden: bool) -> list[dict[str, Any]]:
    if choice.reasoning_tokens == 0:
        return []
    if hidden or choice.reasoning is None:
        seed = f"{served.model}/{choice.index}/{choice.reasoning_tokens}/{choice.content}"
        digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest() * 3
        return [
            {
                "type": "reasoning.encrypted",
                "data": base64.b64encode(digest).decode(),
                "id": f"rs_{digest[:12].hex()}",
                "format": served.reasoning_format,
                "index": 0,
            }
        ]
    return [{"type": "reasoning.text", "text": choice.reasoning, "format": served.reasoning_format, "index": 0}]


def _tool_calls(choice: Choice) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}, "index": i}
        for i, c in enumerate(choice.tool_calls)
    ]


def chat_body(
    served: Served,
    choices: Sequence[Choice],
    usage: Mapping[str, Any] | None,
    *,
    exclude_reasoning: bool = False,
    error: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    out_choices = []
    for c in choices:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": c.content,
            "refusal": None,
            "reasoning": None if exclude_reasoning else c.reasoning,
        }
        details = [] if exclude_reasoning else _reasoning_details(served, c, c.reasoning is None)
        if details:
            message["reasoning_details"] = details
        if c.tool_calls:
            message["tool_calls"] = _tool_calls(c)
        finish = "error" if error else c.finish_reason
        choice: dict[str, Any] = {
            "logprobs": logprobs(c.content, served.top_logprobs, served.model, c.index),
            "finish_reason": finish,
            "native_finish_reason": "error" if error else _native(served, c.finish_reason),
            "index": c.index,
            "message": message,
        }
        if error:
            choice["error"] = dict(error)
        out_choices.append(choice)
    body: dict[str, Any] = {
        "id": served.id,
        "provider": served.provider,
        "model": served.model,
        "object": "chat.completion",
        "created": served.created,
        "choices": out_choices,
        "system_fingerprint": None,
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def _chunk(served: Served, choices: list[dict[str, Any]], fingerprint: bool = False) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": served.id,
        "provider": served.provider,
        "model": served.model,
        "object": "chat.completion.chunk",
        "created": served.created,
        "choices": choices,
    }
    if fingerprint and served.null_fingerprint:
        chunk["system_fingerprint"] = None  # Era A; today's spec and @openrouter/sdk reject null in a chunk
    return chunk


#: stands for a piece's text while a chunk is encoded once (control characters: never in the chunk otherwise)
_HOLE = "\x00\x01piece\x01\x00"
_HOLE_B = json_bytes(_HOLE)


def _encoded(
    doc_for: Callable[[int, str], dict[str, Any]], index: int, parts: Sequence[str]
) -> list[tuple[dict[str, Any] | Run, int]]:
    """``doc_for(index, part)`` for every part, one token each: a few as documents; more as one :class:`Run`, the
    document encoded once around a placeholder and each part's JSON string spliced in (the bytes encoding each
    document would give: a chunk has no other string like it)."""
    if len(parts) < 4:
        return [(doc_for(index, p), 1) for p in parts]
    head, hole, tail = json_bytes(doc_for(index, _HOLE)).partition(_HOLE_B)
    if not hole or _HOLE_B in tail:
        return [(doc_for(index, p), 1) for p in parts]
    return [(Run.of(head, parts, tail), 1)]


def _delta_choice(
    index: int, delta: dict[str, Any], finish: str | None = None, native: str | None = None
) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish, "native_finish_reason": native, "logprobs": None}


def chat_chunks(
    served: Served,
    choices: Sequence[Choice],
    usage: Mapping[str, Any] | None,
    *,
    exclude_reasoning: bool = False,
    max_pieces: int | None = None,
) -> list[tuple[dict[str, Any] | Run, int]]:
    """Every ``data:`` payload of a stream with the tokens each carries (for pacing), ``[DONE]`` excluded; the
    pieces of a long answer come already encoded, as one :class:`Run` (its tokens: each event's)."""
    out: list[tuple[dict[str, Any] | Run, int]] = []

    def add(index: int, delta: dict[str, Any], tokens: int, content: bool = False) -> None:
        out.append((_chunk(served, [_delta_choice(index, delta)], content), tokens))

    def add_content(c: Choice) -> None:
        top = served.top_logprobs
        entries = token_logprobs(c.content or "", top, served.model, c.index) if top is not None else []
        cursor = 0
        for part in pieces(c.content or "", max_pieces):
            choice = _delta_choice(c.index, {"role": "assistant", "content": part})
            if top is not None:
                count = len(pieces(part))
                choice["logprobs"] = {"content": entries[cursor : cursor + count], "refusal": None}
                cursor += count
            out.append((_chunk(served, [choice], True), 1))

    def content(index: int, part: str) -> dict[str, Any]:
        return _chunk(served, [_delta_choice(index, {"role": "assistant", "content": part})], True)

    for c in choices:
        if c.reasoning_tokens and not exclude_reasoning:
            hidden = c.reasoning is None
            if hidden:
                details = _reasoning_details(served, c, True)
                add(
                    c.index,
                    {"role": "assistant", "content": "", "reasoning": None, "reasoning_details": details},
                    c.reasoning_tokens,
                )
            else:
                parts = pieces(c.reasoning or "", max_pieces)
                share = max(1, c.reasoning_tokens // max(1, len(parts)))
                for part in parts:
                    delta = {
                        "role": "assistant",
                        "content": "",
                        "reasoning": part,
                        "reasoning_details": [
                            {"type": "reasoning.text", "text": part, "format": served.reasoning_format, "index": 0}
                        ],
                    }
                    add(c.index, delta, share)
        for i, call in enumerate(c.tool_calls):
            head = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
            add(c.index, {"role": "assistant", "content": None, "tool_calls": [head]}, 1)
            for part in pieces(call.arguments, max_pieces):
                frag = {"index": i, "function": {"arguments": part}}
                add(c.index, {"role": "assistant", "content": None, "tool_calls": [frag]}, 1)
        if served.top_logprobs is not None:  # each piece carries its own logprobs
            add_content(c)
        else:  # the pieces encoded once around a placeholder
            out += _encoded(content, c.index, pieces(c.content or "", max_pieces))
        finish = _delta_choice(
            c.index, {"role": "assistant", "content": ""}, c.finish_reason, _native(served, c.finish_reason)
        )
        out.append((_chunk(served, [finish], True), 0))
    if usage is not None:
        tail = _chunk(served, [_delta_choice(0, {"role": "assistant", "content": ""})])
        tail["usage"] = dict(usage)
        out.append((tail, 0))
    return out


def stream_error_chunk(served: Served, error: Mapping[str, Any], legacy: bool = False) -> dict[str, Any]:
    """The in-band error event that ends a broken stream (HTTP stays 200)."""
    choice: dict[str, Any] = {"index": 0, "finish_reason": "error", "native_finish_reason": "error"}
    if legacy:
        choice["text"] = ""
    else:
        choice["delta"] = {"content": ""}
    return {
        "id": served.id,
        "object": "text_completion" if legacy else "chat.completion.chunk",
        "created": served.created,
        "model": served.model,
        "provider": served.provider,
        "error": dict(error),
        "choices": [choice],
    }


def text_body(served: Served, choices: Sequence[Choice], usage: Mapping[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": served.id,
        "provider": served.provider,
        "model": served.model,
        "object": "text_completion",
        "created": served.created,
        "choices": [
            {
                "text": c.content or "",
                "index": c.index,
                "logprobs": None,
                "finish_reason": c.finish_reason,
                "native_finish_reason": _native(served, c.finish_reason),
            }
            for c in choices
        ],
        "system_fingerprint": None,
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def text_chunks(
    served: Served, choices: Sequence[Choice], usage: Mapping[str, Any] | None, max_pieces: int | None = None
) -> list[tuple[dict[str, Any] | Run, int]]:
    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": served.id,
            "provider": served.provider,
            "model": served.model,
            "object": "text_completion",
            "created": served.created,
            "choices": [choice],
        }

    def piece(index: int, part: str) -> dict[str, Any]:
        return chunk({"text": part, "index": index, "logprobs": None, "finish_reason": None})

    out: list[tuple[dict[str, Any] | Run, int]] = []
    for c in choices:
        out += _encoded(piece, c.index, pieces(c.content or "", max_pieces))
        last = {
            "text": "",
            "index": c.index,
            "logprobs": None,
            "finish_reason": c.finish_reason,
            "native_finish_reason": _native(served, c.finish_reason),
        }
        out.append((chunk(last), 0))
    if usage is not None:
        tail = chunk({"text": "", "index": 0, "logprobs": None, "finish_reason": None})
        tail["usage"] = dict(usage)
        out.append((tail, 0))
    return out
