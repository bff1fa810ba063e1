"""The OpenAPI 3.1 document the mock publishes, assembled from ``schemas/`` (see ``contract.components``).

Only OpenRouter's own operations are described; the admin API (``/__mockrouter/``) is left out.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _errors(*statuses: int) -> dict[str, Any]:
    text = {400: "Bad request", 401: "Invalid or missing credentials", 402: "Insufficient credits",
            403: "Forbidden (moderation, key limit, BYOK required, management key required)",
            404: "Not found / no endpoint can serve the request", 405: "Method not allowed", 408: "Request timed out",
            413: "Payload too large", 429: "Rate limited", 500: "Internal error", 502: "Provider error",
            503: "No available provider", 524: "Timeout", 529: "Provider overloaded"}  # fmt: skip
    return {str(s): _json("Error", text[s]) for s in statuses}


_COMPLETION_ERRORS = (400, 401, 402, 403, 404, 408, 413, 429, 502, 503, 524, 529)


def _completion_op(op_id: str, summary: str, request: str, response: str, chunk: str) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": summary,
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request)}}},
        "responses": {
            "200": {
                "description": "A completion (JSON), or a stream of chunks (SSE) when the body says stream: true",
                "headers": {"X-Generation-Id": {"schema": {"type": "string"}, "description": "the generation id"}},
                "content": {
                    "application/json": {"schema": _ref(response)},
                    "text/event-stream": {"schema": {"type": "string"}, "x-sse-data-schema": _ref(chunk)},
                },
                "links": {
                    "GetGeneration": {"operationId": "getGeneration", "parameters": {"id": "$response.body#/id"}}
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
            "ChatCompletionChunk")},
        "/completions": {"post": _completion_op(
            "createCompletion", "Create a text completion (legacy)", "CompletionRequest", "Completion",
            "CompletionChunk")},
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
            "parameters": [{"name": "id", "in": "query", "required": True, "schema": {"type": "string"}}],
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
