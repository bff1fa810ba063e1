"""The OpenAPI 3.1 documents the mock publishes, derived from the operation registry (``contract.operations``)
and the JSON Schemas in ``schemas/``: OpenRouter's API at ``/api/v1/openapi.json`` (what schemathesis checks both
the mock and the real OpenRouter against) and the admin API at ``/__mockrouter/openapi.json``.

Every parameter an operation declares is documented, and every status it can send (the success status with its
schema, each error status with OpenRouter's envelope). Examples are the files in ``schemas/examples/<schema>/``
(``{"summary", "source", "value"}``; error bodies are attached to their ``error.code``).

Event streams follow the OpenAPI 3.1 convention that tools such as schemathesis understand: under
``text/event-stream`` the ``schema`` describes ONE event (``{data, event?, id?, retry?}``), and ``data`` is
declared ``contentMediaType: application/json`` with the chunk schema as ``contentSchema`` (``[DONE]`` is
exempt). ``x-sse-data-schema`` repeats the chunk schema for tools that only read that extension.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import Auth, Operation, Surface, operations
from mockrouter.errors import DEFAULT_MESSAGES
from mockrouter.resources import data_dir

__all__ = ["build", "document", "document_bytes", "examples"]

_TITLES = {
    Surface.API: (
        "OpenRouter API (mockrouter contract)",
        "The subset of OpenRouter's API that mockrouter serves, built from its JSON Schemas. "
        "The same document checks the real OpenRouter and the mock.",
    ),
    Surface.ADMIN: (
        "mockrouter admin API",
        "mockrouter's own admin API (WireMock's /__admin): journal, stubs, scenarios, faults, accounts, keys, "
        "settings and verdicts. Reachable from loopback, or with the admin token.",
    ),
}
_SECURITY: dict[Auth, list[dict[str, list[str]]] | None] = {
    Auth.NONE: None,
    Auth.OPTIONAL: [{}, {"bearer": []}],
    Auth.KEY: [{"bearer": []}],
    Auth.ADMIN: None,
}


@cache
def examples(schema: str) -> dict[str, dict[str, Any]]:
    """The example files of a schema (``schemas/examples/<stem>/*.json``), by name: ``{summary, value}``."""
    folder = data_dir("schemas") / "examples" / schema.partition("#")[0].removesuffix(".json")
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        doc = json.loads(path.read_text("utf-8"))
        out[path.stem] = {"summary": doc["summary"], "value": doc["value"]}
    return out


def _ref(schema: str) -> dict[str, str]:
    file, _, fragment = schema.partition("#")
    name = contract.component_name(file)
    if fragment.startswith("/$defs/"):
        name = f"{name}.{fragment.removeprefix('/$defs/')}"
    return {"$ref": f"#/components/schemas/{name}"}


def _media(schema: str) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref(schema)}
    found = examples(schema)
    if found:
        media["examples"] = json.loads(json.dumps(found))
    return media


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
        "else": {"properties": {"data": {"contentMediaType": "application/json", "contentSchema": _ref(chunk)}}},
    }


def _error(status: int) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": _ref("error.json")}
    found = {k: v for k, v in examples("error.json").items() if v["value"]["error"]["code"] == status}
    if found:
        media["examples"] = json.loads(json.dumps(found))
    return {"description": DEFAULT_MESSAGES.get(status, "Error"), "content": {"application/json": media}}


def _success(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {"description": op.summary}
    content: dict[str, Any] = {}
    if op.response is not None:
        content["application/json"] = _media(op.response)
    elif op.media != "application/json":
        content[op.media] = {"schema": {"type": "string"}}
    if op.stream is not None:
        out["description"] += (
            ": JSON, or a stream of chunks (SSE) when the body says stream: true. Each SSE event's data is a chunk "
            "(or `[DONE]`); `: OPENROUTER PROCESSING` comments may come first."
        )
        content["text/event-stream"] = {"schema": _sse_event(op.stream), "x-sse-data-schema": _ref(op.stream)}
        out["headers"] = {"X-Generation-Id": {"schema": {"type": "string"}, "description": "the generation id"}}
    if content:
        out["content"] = content
    if op.links:
        out["links"] = {
            name: {"operationId": target, "parameters": {param: expr}, "description": f"{target} with {param}"}
            for name, (target, param, expr) in op.links.items()
        }
    return out


def _operation(op: Operation, op_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op_id, "summary": op.summary}
    security = _SECURITY[op.auth]
    if security is not None:
        doc["security"] = security
    if op.params:
        doc["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required,
                "schema": dict(p.schema),
                **({"description": p.description} if p.description else {}),
            }
            for p in op.params
        ]
    if op.request is not None:
        # an empty body is read as {}: the body is optional wherever {} is a valid one
        required = not contract.is_valid(op.request, {})
        doc["requestBody"] = {"required": required, "content": {"application/json": _media(op.request)}}
    statuses = op.statuses
    doc["responses"] = {str(statuses[0]): _success(op), **{str(s): _error(s) for s in statuses[1:]}}
    return doc


def build(surface: Surface = Surface.API) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in operations(surface):
        if not op.published:
            continue
        for method in op.methods:
            op_id = op.id if method == op.method else f"{op.id}{method.title()}"
            paths.setdefault(op.path, {})[method.lower()] = _operation(op, op_id)
    title, description = _TITLES[surface]
    components: dict[str, Any] = {"schemas": contract.components(admin=surface is Surface.ADMIN)}
    if surface is Surface.API:
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0", "description": description},
        "servers": [{"url": surface.value}],
        "paths": paths,
        "components": components,
    }


@cache
def document_bytes(surface: Surface = Surface.API) -> bytes:
    return json.dumps(build(surface)).encode()


def document(surface: Surface = Surface.API) -> dict[str, Any]:
    """A fresh copy of a published document."""
    result: dict[str, Any] = json.loads(document_bytes(surface))
    return result
