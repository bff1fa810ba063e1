"""OpenRouter's Responses API (``POST /responses``), spoken over the one completion flow.

:func:`to_chat` turns a Responses request into the chat request the planner, the simulation and the generator
already understand (``input`` items -> ``messages``, ``instructions`` -> a system message, function tools and
``tool_choice`` -> their chat forms, ``text.format`` -> ``response_format``, ``max_output_tokens`` -> ``max_tokens``);
:func:`response_doc` and :func:`response_events` render the generated choice as a Response object or as the typed
server-sent events OpenAI and OpenRouter send (``event:`` names, ``sequence_number``), ``response.failed`` when a
stream breaks. Pure functions of plain values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mockrouter import errors
from mockrouter.engine.documents import Served
from mockrouter.engine.generation import Choice
from mockrouter.engine.tokens import pieces

__all__ = ["failed_event", "response_doc", "response_events", "to_chat"]

_ROUTING = (
    "model",
    "models",
    "provider",
    "plugins",
    "route",
    "session_id",
    "user",
    "stream",
    "temperature",
    "top_p",
    "reasoning",
    "metadata",
    "parallel_tool_calls",
    "usage",
    "transforms",
    "seed",
    "top_k",
)


def _text(content: Any) -> Any:
    """Responses content parts -> chat content (input_text/output_text -> text, input_image -> image_url)."""
    if not isinstance(content, list):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append({"type": "text", "text": part.get("text", "")})
        elif kind == "input_image":
            parts.append(
                {
                    "type": "image_url",
                    "image_url": {"url": part.get("image_url") or "", "detail": part.get("detail", "auto")},
                }
            )
        elif kind == "input_file":
            parts.append(
                {"type": "file", "file": {k: v for k, v in part.items() if k in ("file_data", "file_id", "filename")}}
            )
        elif kind == "input_audio":
            parts.append({"type": "input_audio", "input_audio": part.get("input_audio") or {}})
    return parts


def to_chat(body: Mapping[str, Any]) -> dict[str, Any]:
    """The chat request a Responses request stands for (400 for what OpenRouter's stateless beta refuses)."""
    if body.get("store") is True:
        raise errors.bad_request("store: true is not supported: OpenRouter's Responses API is stateless")
    if body.get("previous_response_id") is not None:
        raise errors.bad_request("previous_response_id is not supported: OpenRouter's Responses API is stateless")
    chat: dict[str, Any] = {k: body[k] for k in _ROUTING if k in body}
    messages: list[dict[str, Any]] = []
    if body.get("instructions"):
        messages.append({"role": "system", "content": body["instructions"]})
    items = body.get("input")
    for item in [{"role": "user", "content": items}] if isinstance(items, str) else items or []:
        kind = item.get("type", "message")
        if kind == "message":
            role = "system" if item.get("role") == "developer" else item.get("role", "user")
            messages.append({"role": role, "content": _text(item.get("content"))})
        elif kind == "function_call":
            call = {
                "id": item.get("call_id") or item.get("id"),
                "type": "function",
                "function": {"name": item.get("name", ""), "arguments": item.get("arguments", "")},
            }
            if messages and messages[-1]["role"] == "assistant" and messages[-1].get("tool_calls"):
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            messages.append({"role": "tool", "tool_call_id": item.get("call_id", ""), "content": text})
    chat["messages"] = messages or [{"role": "user", "content": ""}]
    tools = [
        {
            "type": "function",
            "function": {
                "name": t["name"],
                "description": t.get("description") or "",
                "parameters": t.get("parameters") or {"type": "object", "properties": {}},
            },
        }
        for t in body.get("tools") or ()
        if t.get("type") == "function"
    ]
    if tools:
        chat["tools"] = tools
    choice = body.get("tool_choice")
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        chat["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif isinstance(choice, str) and tools:
        chat["tool_choice"] = choice
    fmt = (body.get("text") or {}).get("format") or {}
    if fmt.get("type") == "json_schema":
        chat["response_format"] = {
            "type": "json_schema",
            "json_schema": {
                "name": fmt.get("name", "response"),
                "schema": fmt.get("schema") or {},
                "strict": fmt.get("strict", False),
            },
        }
    elif fmt.get("type") == "json_object":
        chat["response_format"] = {"type": "json_object"}
    if body.get("max_output_tokens") is not None:
        chat["max_tokens"] = body["max_output_tokens"]
    return chat


def _item_id(prefix: str, salt: str, index: int) -> str:
    """Item ids: fixed per request (seed and fingerprint) and position, like everything the seed decides."""
    return f"{prefix}_{hashlib.sha1(f'{salt}:{index}'.encode()).hexdigest()[:24]}"


def _items(salt: str, choice: Choice, exclude_reasoning: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if choice.reasoning and not exclude_reasoning:
        out.append(
            {
                "type": "reasoning",
                "id": _item_id("rs", salt, 0),
                "summary": [{"type": "summary_text", "text": choice.reasoning}],
            }
        )
    if choice.content is not None and (choice.content or not choice.tool_calls):
        out.append(
            {
                "type": "message",
                "id": _item_id("msg", salt, 1),
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": choice.content, "annotations": [], "logprobs": []}],
            }
        )
    for i, call in enumerate(choice.tool_calls):
        out.append(
            {
                "type": "function_call",
                "id": _item_id("fc", salt, 2 + i),
                "call_id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "status": "completed",
            }
        )
    return out


def response_doc(
    served: Served,
    body: Mapping[str, Any],
    choice: Choice | None,
    usage: Mapping[str, Any] | None,
    *,
    exclude_reasoning: bool = False,
    status: str | None = None,
    error: Mapping[str, Any] | None = None,
    salt: str = "",
) -> dict[str, Any]:
    """The Response object: ``choice`` None is the in-progress shell sent at the start of a stream."""
    output = _items(salt, choice, exclude_reasoning) if choice is not None else []
    if status is None:
        status = "incomplete" if choice is not None and choice.finish_reason == "length" else "completed"
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    text = "".join(c["text"] for item in output if item["type"] == "message" for c in item["content"])
    return {
        "id": served.id,
        "object": "response",
        "created_at": served.created,
        "completed_at": served.created if status in ("completed", "incomplete") else None,
        "status": status,
        "model": served.model,
        "provider": served.provider,
        "output": output,
        "output_text": text,
        "error": dict(error) if error is not None else None,
        "incomplete_details": incomplete,
        "instructions": body.get("instructions"),
        "metadata": body.get("metadata") or {},
        "parallel_tool_calls": body.get("parallel_tool_calls") is not False,
        "temperature": body.get("temperature"),
        "top_p": body.get("top_p"),
        "presence_penalty": body.get("presence_penalty"),
        "frequency_penalty": body.get("frequency_penalty"),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": list(body.get("tools") or []),
        "max_output_tokens": body.get("max_output_tokens"),
        "reasoning": body.get("reasoning"),
        "text": body.get("text") or {"format": {"type": "text"}},
        "truncation": body.get("truncation") or "disabled",
        "store": False,
        "background": False,
        "previous_response_id": None,
        "service_tier": "auto",
        "user": body.get("user"),
        "usage": dict(usage) if usage is not None else None,
    }


def response_events(
    served: Served,
    body: Mapping[str, Any],
    choice: Choice,
    usage: Mapping[str, Any],
    *,
    exclude_reasoning: bool,
    salt: str = "",
) -> list[tuple[dict[str, Any], int]]:
    """The typed events of a streamed response, each with the tokens it carries (for pacing); ``sequence_number``
    counts them from 0."""
    final = response_doc(served, body, choice, usage, exclude_reasoning=exclude_reasoning, salt=salt)
    shell = response_doc(served, body, None, None, status="in_progress")
    out: list[tuple[dict[str, Any], int]] = [
        ({"type": "response.created", "response": shell}, 0),
        ({"type": "response.in_progress", "response": shell}, 0),
    ]
    for index, item in enumerate(final["output"]):
        kind, item_id = item["type"], item["id"]
        if kind == "message":
            text = item["content"][0]["text"]
            out.append(
                (
                    {
                        "type": "response.output_item.added",
                        "output_index": index,
                        "item": {**item, "status": "in_progress", "content": []},
                    },
                    0,
                )
            )
            empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            out.append(
                (
                    {
                        "type": "response.content_part.added",
                        "item_id": item_id,
                        "output_index": index,
                        "content_index": 0,
                        "part": empty,
                    },
                    0,
                )
            )
            for piece in pieces(text):
                out.append(
                    (
                        {
                            "type": "response.output_text.delta",
                            "item_id": item_id,
                            "output_index": index,
                            "content_index": 0,
                            "delta": piece,
                            "logprobs": [],
                        },
                        1,
                    )
                )
            out.append(
                (
                    {
                        "type": "response.output_text.done",
                        "item_id": item_id,
                        "output_index": index,
                        "content_index": 0,
                        "text": text,
                        "logprobs": [],
                    },
                    0,
                )
            )
            out.append(
                (
                    {
                        "type": "response.content_part.done",
                        "item_id": item_id,
                        "output_index": index,
                        "content_index": 0,
                        "part": item["content"][0],
                    },
                    0,
                )
            )
        elif kind == "function_call":
            out.append(
                (
                    {
                        "type": "response.output_item.added",
                        "output_index": index,
                        "item": {**item, "arguments": "", "status": "in_progress"},
                    },
                    0,
                )
            )
            for piece in pieces(item["arguments"]):
                out.append(
                    (
                        {
                            "type": "response.function_call_arguments.delta",
                            "item_id": item_id,
                            "output_index": index,
                            "delta": piece,
                        },
                        1,
                    )
                )
            out.append(
                (
                    {
                        "type": "response.function_call_arguments.done",
                        "item_id": item_id,
                        "output_index": index,
                        "name": item["name"],
                        "arguments": item["arguments"],
                    },
                    0,
                )
            )
        else:  # reasoning: its summary in one part
            out.append(
                ({"type": "response.output_item.added", "output_index": index, "item": {**item, "summary": []}}, 0)
            )
            reasoning_tokens = max(1, len(item["summary"][0]["text"]) // 4)
            out.append(
                (
                    {
                        "type": "response.reasoning_summary_text.done",
                        "item_id": item_id,
                        "output_index": index,
                        "summary_index": 0,
                        "text": item["summary"][0]["text"],
                    },
                    reasoning_tokens,
                )
            )
        out.append(({"type": "response.output_item.done", "output_index": index, "item": item}, 0))
    end = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    out.append(({"type": end, "response": final}, 0))
    return [({**doc, "sequence_number": n}, tokens) for n, (doc, tokens) in enumerate(out)]


def failed_event(served: Served, body: Mapping[str, Any], error: Mapping[str, Any], sequence: int) -> dict[str, Any]:
    """``response.failed``: how a stream that breaks half-way ends (the error as OpenRouter reports it)."""
    doc = response_doc(served, body, None, None, status="failed", error=error)
    return {"type": "response.failed", "response": doc, "sequence_number": sequence}
