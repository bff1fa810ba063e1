"""Every response the suite sees is checked against its operation's declaration: the mock can never send what its
own schemas reject, nor a status the operation does not declare. ``check_response`` is installed as an httpx response hook on every test client."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import Surface, find

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


def check_body(method: str, path: str, status: int, content_type: str, raw: bytes) -> None:
    """A response checked against its operation's declaration (``contract.operations``): the status is one the
    operation declares, errors are OpenRouter's envelope, successes and stream chunks match the declared schemas."""
    op = find(method, path)
    if op is None:  # no operation: the catch-all's 404 or a 405, in the envelope
        if status >= 400:
            assert_valid("error.json", json.loads(raw))
        return
    assert status in op.statuses, f"{op.id} answered {status}, which its declaration lacks ({op.statuses})"
    if op.surface is Surface.ADMIN or not op.published:
        if status >= 400:
            assert_valid("error.json", json.loads(raw))
        elif op.response is not None:
            assert_valid(op.response, json.loads(raw))
        return
    checked["responses"] += 1
    if status >= 400:
        assert content_type.startswith("application/json"), content_type
        doc = json.loads(raw)
        assert_valid("error.json", doc)
        assert doc["error"]["code"] == status
        return
    if content_type.startswith("text/event-stream"):
        assert op.stream is not None
        for data in sse_events(raw.decode()):
            if data == "[DONE]":
                continue
            checked["events"] += 1
            assert_valid(op.stream, json.loads(data))
        return
    assert content_type.startswith("application/json"), content_type
    assert op.response is not None
    assert_valid(op.response, json.loads(raw))


def check_response(response: httpx.Response) -> None:
    """httpx response hook: validates complete (non-streamed) responses against the contract."""
    in_process = response.request.url.host == "testserver"  # starlette's TestClient buffers whole bodies
    if not in_process and response.headers.get("content-type", "").startswith("text/event-stream"):
        return  # streamed over a socket: the test validates events itself
    response.read()
    request = response.request
    check_body(
        request.method, request.url.path, response.status_code, response.headers.get("content-type", ""),
        response.content,
    )
