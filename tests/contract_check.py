"""Every response the suite sees is checked against the contract: the mock can never send what its own
schemas reject. ``check_response`` is installed as an httpx response hook on every test client."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from mockrouter.contract import schemas as contract

_SCHEMAS = [
    (re.compile(r"/api/v1/chat/completions$"), "chat-completion.json", "chat-completion-chunk.json"),
    (re.compile(r"/api/v1/completions$"), "completion.json", "completion-chunk.json"),
    (re.compile(r"/api/v1/models$"), "models-list.json", None),
    (re.compile(r"/api/v1/models/[^/]+/[^/]+/endpoints$"), "model-endpoints.json", None),
    (re.compile(r"/api/v1/providers$"), "providers.json", None),
    (re.compile(r"/api/v1/generation$"), "generation.json", None),
    (re.compile(r"/api/v1/(auth/)?key$"), "key.json", None),
    (re.compile(r"/api/v1/credits$"), "credits.json", None),
]

checked: dict[str, int] = {"responses": 0, "events": 0}


def sse_events(text: str) -> list[str]:
    """The ``data:`` payloads of an SSE body (comments skipped)."""
    out = []
    for block in re.split(r"\r\n\r\n|\n\n|\r\r", text):
        data = [line[5:].lstrip(" ") for line in re.split(r"\r\n|\n|\r", block) if line.startswith("data:")]
        if data:
            out.append("\n".join(data))
    return out


def assert_valid(kind: str, doc: Any) -> None:
    violations = contract.validate(kind, doc)
    assert not violations, f"{kind} violated: {[v.as_dict() for v in violations]}\n{json.dumps(doc)[:2000]}"


def check_body(path: str, status: int, content_type: str, raw: bytes) -> None:
    if path.startswith("/__mockrouter") or path.endswith("/openapi.json"):
        return
    checked["responses"] += 1
    if status >= 400:
        assert content_type.startswith("application/json"), content_type
        doc = json.loads(raw)
        assert_valid("error.json", doc)
        assert doc["error"]["code"] == status
        return
    found = next(((schema, chunk) for pattern, schema, chunk in _SCHEMAS if pattern.search(path)), None)
    if found is None:
        return
    schema, chunk_schema = found
    if content_type.startswith("text/event-stream"):
        assert chunk_schema is not None
        for data in sse_events(raw.decode()):
            if data == "[DONE]":
                continue
            checked["events"] += 1
            assert_valid(chunk_schema, json.loads(data))
        return
    assert content_type.startswith("application/json"), content_type
    assert_valid(schema, json.loads(raw))


def check_response(response: httpx.Response) -> None:
    """httpx response hook: validates complete (non-streamed) responses against the contract."""
    in_process = response.request.url.host == "testserver"  # starlette's TestClient buffers whole bodies
    if not in_process and response.headers.get("content-type", "").startswith("text/event-stream"):
        return  # streamed over a socket: the test validates events itself
    response.read()
    check_body(
        response.request.url.path, response.status_code, response.headers.get("content-type", ""), response.content
    )
