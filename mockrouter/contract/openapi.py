"""The OpenAPI 3.1 document the mock publishes, assembled from ``schemas/`` (see ``contract.components``).

Only OpenRouter's own operations are described; the admin API (``/__mockrouter/``) is left out.

Event streams follow the OpenAPI 3.1 convention that tools such as schemathesis understand: under
``text/event-stream`` the ``schema`` describes ONE event (``{data, event?, id?, retry?}``), and ``data`` is
declared ``contentMediaType: application/json`` with the chunk schema as ``contentSchema`` (``[DONE]`` is
exempt). ``x-sse-data-schema`` repeats the chunk schema for tools that only read that extension.

The ``examples`` are real OpenRouter bodies from ``shared/openrouter-contract.md`` (§5.4, §7, §8.2);
``tests/contract/test_openapi_doc.py`` checks that every one validates against its schema.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from mockrouter.contract import schemas as contract

__all__ = ["build", "sse_data", "stream_problems"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: str, description: str = "OK", examples: dict[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(schema)}
    if examples:
        media["examples"] = copy.deepcopy(examples)
    return {"description": description, "content": {"application/json": media}}


def _sse_event(chunk: str) -> dict[str, Any]:
    """One server-sent event: ``data`` is ``[DONE]`` or a JSON document valid against ``chunk``."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {"type": "string"},
            "event": {"type": "string"},
            "id": {"type": "string"},
            "retry": {"type": "integer"},
        },
        "if": {"properties": {"data": {"const": "[DONE]"}}},
        "else": {
            "properties": {
                "data": {"contentMediaType": "application/json", "contentSchema": _ref(chunk)},
            },
        },
    }


# --------------------------------------------------------------------------- real examples


#: §5.4: openai/gpt-5, Era A, usage.include: true.
CHAT_COMPLETION_EXAMPLE: dict[str, Any] = {
    "id": "gen-1754612345-Qm3xR7tLpZ2vN8kHaYcD",
    "provider": "OpenAI",
    "model": "openai/gpt-5",
    "object": "chat.completion",
    "created": 1754612345,
    "choices": [
        {
            "logprobs": None,
            "finish_reason": "stop",
            "native_finish_reason": "completed",
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "The capital of France is Paris.",
                "refusal": None,
                "reasoning": None,
            },
        }
    ],
    "system_fingerprint": None,
    "usage": {
        "prompt_tokens": 24,
        "completion_tokens": 410,
        "total_tokens": 434,
        "cost": 0.00413,
        "is_byok": False,
        "prompt_tokens_details": {"cached_tokens": 0},
        "cost_details": {"upstream_inference_cost": None},
        "completion_tokens_details": {"reasoning_tokens": 384},
    },
}

_BYOK_MESSAGE = (
    "OpenAI is requiring a key to access this model, which you can add in "
    "https://openrouter.ai/settings/integrations - you can also switch to gpt-5-chat or gpt-5-mini."
)
_CREDITS_MESSAGE = (
    "This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can only "
    "afford 10114. To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account"
)
_FREE_LIMIT_MESSAGE = (
    "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day"
)

#: §7.2, §8.2: real error bodies, by status.
ERROR_EXAMPLES: dict[int, dict[str, Any]] = {
    400: {
        "missingMessages": {
            "summary": "Neither messages nor prompt",
            "value": {"error": {"message": 'Input required: specify "prompt" or "messages"', "code": 400}},
        }
    },
    401: {
        "noCredentialsEraA": {
            "summary": "No Authorization header (2025 wording)",
            "value": {"error": {"message": "No auth credentials found", "code": 401}},
        },
        "noCredentialsEraB": {
            "summary": "No Authorization header (wording seen from Dec 2025)",
            "value": {"error": {"message": "No cookie auth credentials found", "code": 401}},
        },
        "unknownKey": {
            "summary": "Unknown or revoked key",
            "value": {"error": {"message": "User not found.", "code": 401}},
        },
    },
    402: {
        "cannotAfford": {
            "summary": "Balance too low for max_tokens",
            "value": {
                "error": {"message": _CREDITS_MESSAGE, "code": 402, "metadata": {"provider_name": None}},
                "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
            },
        }
    },
    403: {
        "byokRequired": {
            "summary": "openai/gpt-5 at launch without the user's OpenAI key",
            "value": {"error": {"message": _BYOK_MESSAGE, "code": 403}},
        }
    },
    429: {
        "freeModelsPerDay": {
            "summary": "Daily free-model cap (also sent as X-RateLimit-* headers)",
            "value": {
                "error": {
                    "message": _FREE_LIMIT_MESSAGE,
                    "code": 429,
                    "metadata": {
                        "headers": {
                            "X-RateLimit-Limit": "50",
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": "1754697600000",
                        }
                    },
                },
                "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
            },
        }
    },
    502: {
        "providerError": {
            "summary": "The provider failed",
            "value": {
                "error": {
                    "message": "Provider returned error",
                    "code": 502,
                    "metadata": {"raw": "error code: 502", "provider_name": "OpenAI", "is_byok": False},
                },
                "user_id": "user_2zAklG7HDLZgAMY7y5rgO0dYwwN",
            },
        }
    },
}

# Request examples that exercise what generators miss: values behind `if`/`then` discriminators (plugin
# options by plugin id, response_format variants, reasoning_details items) and a few nested enums. Example i
# takes the i-th value of every enum (cycling), so together they send every value at least once.
_WEB_ENGINES = ("native", "exa", "firecrawl", "parallel", "perplexity", "auto")
_PDF_ENGINES = ("mistral-ocr", "pdf-text", "native", "cloudflare-ai")
_COST_TIERS = ("low", "medium", "high", "xhigh", "max")
_DETAILS = ("auto", "low", "high", "original")
_PDF = "data:application/pdf;base64,JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDw+PgplbmRvYmoKdHJhaWxlcgo8PD4+CiUlRU9GCg=="
_PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _response_format(i: int) -> dict[str, Any]:
    kind = ("json_object", "json_schema", "grammar", "python", "text", "json_schema")[i]
    if kind == "json_schema":
        return {"type": "json_schema", "json_schema": {
            "name": "capital", "description": "The capital city", "strict": True,
            "schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip
    if kind == "grammar":
        return {"type": "grammar", "grammar": 'root ::= "Paris"'}
    return {"type": kind}


def _plugins(i: int) -> list[dict[str, Any]]:
    return [
        {"id": "web", "enabled": True, "engine": _WEB_ENGINES[i % 6], "max_results": 3, "search_prompt": "Sources:",
         "include_domains": ["wikipedia.org"], "exclude_domains": ["example.com"], "max_uses": 2, "mode": "auto",
         "user_location": {"country": "FR"}},
        {"id": "file-parser", "enabled": i % 2 == 0, "pdf": {"engine": _PDF_ENGINES[i % 4]}},
        {"id": "context-compression", "engine": "middle-out"},
        {"id": "auto-router", "allowed_models": ["openai/*"], "excluded_models": ["openai/gpt-5"],
         "cost_tier": _COST_TIERS[i % 5], "pin_model": i % 2 == 1},
    ]  # fmt: skip


_REASONING_DETAILS = (
    {"type": "reasoning.text", "text": "The tower suggests Paris.", "signature": "sig-1", "format": "anthropic-claude-v1",
     "index": 0, "id": "rs_1"},
    {"type": "reasoning.summary", "summary": "Identified the landmark.", "format": "openai-responses-v1", "index": 0},
    {"type": "reasoning.encrypted", "data": "gAAAAABo...", "format": "openai-responses-v1", "index": 0},
    {"type": "reasoning.server_tool_call", "tool_name": "web_search", "arguments": "{}", "result": "[]",
     "tool_call_id": "srv_1", "index": 0},
)  # fmt: skip


def _messages(i: int) -> list[dict[str, Any]]:
    """A conversation touching every message role, content-part type and optional message field."""
    media: list[dict[str, Any]] = [
        {"type": "image_url", "image_url": {"url": _PIXEL, "detail": _DETAILS[i % 4]}},
        {"type": "file", "file": {"filename": "notes.pdf", "file_data": _PDF}} if i % 2 == 0
        else {"type": "file", "file": {"file_id": "file-5Yq8nR2kLm"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
        {"type": ("video_url", "input_video")[i % 2], "video_url": {"url": "https://example.com/clip.mp4"}},
    ]  # fmt: skip
    return [
        {"role": ("system", "developer")[i % 2], "name": "house-style",
         "content": [{"type": "text", "text": "Answer briefly.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
         if i < 5 else "Answer briefly."},
        {"role": "user", "name": "alice", "content": [{"type": "text", "text": "Which city is this?"}, *media]},
        {"role": "assistant", "name": "guide", "content": None, "refusal": None, "reasoning": "Look for landmarks.",
         "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "landmarks", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Eiffel Tower"},
        {"role": "assistant", "content": "Paris.", "reasoning_content": "The tower is in Paris.",
         "reasoning_details": [_REASONING_DETAILS[i % 4]],
         "images": [{"type": "image_url", "image_url": {"url": _PIXEL}, "index": 0}],
         "audio": {"id": "audio_1"}},
        {"role": "user", "content": "And its country?"},
    ]  # fmt: skip


def _coverage_example(i: int) -> dict[str, Any]:
    return {
        "summary": f"Plugins, response_format and reasoning details (variant {i + 1} of 6)",
        "value": {
            "model": "openai/gpt-5-mini",
            "messages": _messages(i),
            "plugins": _plugins(i),
            "response_format": _response_format(i),
            "max_tokens": 64,
        },
    }  # fmt: skip


_CHAT_REQUEST_EXAMPLES: dict[str, Any] = {
    **{f"coverage{i + 1}": _coverage_example(i) for i in range(6)},
    "simple": {
        "summary": "Non-streaming, with usage accounting",
        "value": {
            "model": "openai/gpt-5-mini",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "usage": {"include": True},
        },
    },
    "stream": {
        "summary": "Streaming (SSE)",
        "value": {
            "model": "openai/gpt-5-mini",
            "messages": [{"role": "user", "content": "What is the capital of France?"}],
            "stream": True,
        },
    },
}

_COMPLETION_REQUEST_EXAMPLES: dict[str, Any] = {
    **{
        f"coverage{i + 1}": {
            "summary": f"Plugins and response_format (variant {i + 1} of 6)",
            "value": {
                "model": "openai/gpt-5-mini",
                "prompt": "The capital of France is",
                "plugins": _plugins(i),
                "response_format": _response_format(i),
                "max_tokens": 16,
            },
        }
        for i in range(6)
    },
    "simple": {
        "summary": "Non-streaming",
        "value": {"model": "openai/gpt-5-mini", "prompt": "The capital of France is"},
    },
    "stream": {
        "summary": "Streaming (SSE)",
        "value": {"model": "openai/gpt-5-mini", "prompt": "The capital of France is", "stream": True},
    },
}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Bad request", 401: "Invalid or missing credentials", 402: "Insufficient credits",
            403: "Forbidden (moderation, key limit, BYOK required, management key required)",
            404: "Not found / no endpoint can serve the request", 405: "Method not allowed", 408: "Request timed out",
            413: "Payload too large", 429: "Rate limited", 500: "Internal error", 502: "Provider error",
            503: "No available provider", 524: "Timeout", 529: "Provider overloaded"}  # fmt: skip
    return {str(s): _json("Error", text[s], ERROR_EXAMPLES.get(s)) for s in statuses}


_COMPLETION_ERRORS = (400, 401, 402, 403, 404, 408, 413, 429, 502, 503, 524, 529)


def _completion_op(
    op_id: str, summary: str, request: str, response: str, chunk: str, request_examples: dict[str, Any],
    response_examples: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    json_media: dict[str, Any] = {"schema": _ref(response)}
    if response_examples:
        json_media["examples"] = copy.deepcopy(response_examples)
    return {
        "operationId": op_id,
        "summary": summary,
        "security": [{"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _ref(request), "examples": copy.deepcopy(request_examples)}},
        },
        "responses": {
            "200": {
                "description": "A completion (JSON), or a stream of chunks (SSE) when the body says stream: true. "
                "Each SSE event's data is a chunk (or `[DONE]`); `: OPENROUTER PROCESSING` comments may come first.",
                "headers": {"X-Generation-Id": {"schema": {"type": "string"}, "description": "the generation id"}},
                "content": {
                    "application/json": json_media,
                    "text/event-stream": {"schema": _sse_event(chunk), "x-sse-data-schema": _ref(chunk)},
                },
                "links": {
                    "GetGeneration": {
                        "operationId": "getGeneration",
                        "parameters": {"id": "$response.body#/id"},
                        "description": "The generation's id feeds GET /generation?id= (JSON responses only).",
                    }
                },
            },
            **_errors(*_COMPLETION_ERRORS),
        },
    }


def build(components: dict[str, Any]) -> dict[str, Any]:
    key_param = [{"name": n, "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]+$"}}
                 for n in ("author", "slug")]  # fmt: skip
    paths: dict[str, Any] = {
        "/chat/completions": {"post": _completion_op(
            "createChatCompletion", "Create a chat completion", "ChatCompletionRequest", "ChatCompletion",
            "ChatCompletionChunk", _CHAT_REQUEST_EXAMPLES,
            {"gpt5": {"summary": "openai/gpt-5 (§5.4)", "value": CHAT_COMPLETION_EXAMPLE}})},
        "/completions": {"post": _completion_op(
            "createCompletion", "Create a text completion (legacy)", "CompletionRequest", "Completion",
            "CompletionChunk", _COMPLETION_REQUEST_EXAMPLES)},
        "/models": {"get": {
            "operationId": "listModels", "summary": "List models", "security": [{}, {"bearer": []}],
            "parameters": [
                {"name": "supported_parameters", "in": "query", "schema": {"type": "string"}},
                {"name": "category", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {"200": _json("ModelsList"), **_errors(400)},
        }},
        "/models/{author}/{slug}/endpoints": {"get": {
            "operationId": "listModelEndpoints", "summary": "List a model's provider endpoints",
            "security": [{}, {"bearer": []}], "parameters": key_param,
            "responses": {"200": _json("ModelEndpoints"), **_errors(404)},
        }},
        "/providers": {"get": {
            "operationId": "listProviders", "summary": "List providers", "security": [{}, {"bearer": []}],
            "responses": {"200": _json("Providers")},
        }},
        "/generation": {"get": {
            "operationId": "getGeneration", "summary": "Statistics of a generation", "security": [{"bearer": []}],
            "parameters": [{"name": "id", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}}],
            "responses": {"200": _json("Generation"), **_errors(400, 401, 404)},
        }},
        "/key": {"get": {
            "operationId": "getKey", "summary": "The calling key", "security": [{"bearer": []}],
            "responses": {"200": _json("Key"), **_errors(401)},
        }},
        "/auth/key": {"get": {
            "operationId": "getAuthKey", "summary": "The calling key (legacy alias of /key)", "security": [{"bearer": []}],
            "responses": {"200": _json("Key"), **_errors(401)},
        }},
        "/credits": {"get": {
            "operationId": "getCredits", "summary": "Total credits and usage", "security": [{"bearer": []}],
            "responses": {"200": _json("Credits"), **_errors(401, 403)},
        }},
    }  # fmt: skip
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OpenRouter API (mockrouter contract)",
            "version": "1.0.0",
            "description": "The subset of OpenRouter's API that mockrouter serves, built from its JSON Schemas. "
            "The same document checks the real OpenRouter and the mock.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


# --------------------------------------------------------------------------- the SSE convention, executable
# What the 200 `text/event-stream` responses above declare, as code (used by `contract_run`'s stream check).


def sse_data(raw: bytes) -> Iterator[str]:
    """The ``data:`` payloads of an SSE body, one per event (comments and other fields skipped)."""
    text = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    for block in text.split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        if data:
            yield "\n".join(data)


def stream_problems(raw: bytes, chunk_schema: str, complete: bool = True) -> list[str]:
    """What is wrong with an SSE completion stream (empty when nothing is)."""
    problems: list[str] = []
    ids: set[str] = set()
    events = list(sse_data(raw))
    last_error, done_at = False, None
    for index, data in enumerate(events):
        if data == "[DONE]":
            done_at = index
            continue
        if done_at is not None:
            problems.append(f"event #{index} comes after [DONE]")
        try:
            event = json.loads(data)
        except ValueError as exc:
            problems.append(f"event #{index} is not JSON ({exc}): {data[:200]!r}")
            continue
        problems += [
            f"event #{index} violates {chunk_schema} at {v.pointer or '/'}: {v.message}"
            for v in contract.validate(chunk_schema, event)
        ]
        if isinstance(event, dict):
            ids.update([event["id"]] if isinstance(event.get("id"), str) else [])
            last_error = isinstance(event.get("error"), dict)
    if not events:
        problems.append("the stream carried no data events")
    if len(ids) > 1:
        problems.append(f"chunks carry {len(ids)} different ids: {sorted(ids)[:5]}")
    if complete and events and done_at is None and not last_error:
        problems.append("the stream ended without data: [DONE] (and without a mid-stream error event)")
    return problems[:20]
