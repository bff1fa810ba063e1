"""Hostile input over a real socket: each answers with OpenRouter's envelope or a clean close within a
bounded time, and the server keeps serving."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest

from mockrouter import MockRouterServer, Settings
from tests.conftest import AUTH

pytestmark = pytest.mark.socket  # raw sockets and clients against a MockRouterServer

URL = "/chat/completions"
MSG = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def server():
    with MockRouterServer(Settings(time_scale=0)) as s:
        yield s


def post(server, content: bytes, headers: dict[str, str] | None = None, timeout: float = 30) -> httpx.Response:
    return httpx.post(server.base_url + URL, content=content, headers={**AUTH, "Content-Type": "application/json", **(headers or {})},
                      timeout=timeout)  # fmt: skip


def still_serving(server) -> None:
    r = httpx.post(
        server.base_url + URL, json={"model": "openai/gpt-5-mini", "messages": MSG}, headers=AUTH, timeout=10
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("content", "status", "fragment"),
    [
        (b'{"model": "openai/gpt-5-mini", "messages": [', 400, "Invalid JSON"),
        (b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}', 400, "UTF-8"),
        (b"[" * 10_000 + b"]" * 10_000, 400, "nested too deeply"),
        (b'{"messages": [{"role": "user", "content": "a"}], "temperature": NaN}', 400, "NaN is not valid JSON"),
        (b'{"messages": [{"role": "user", "content": "a"}], "max_tokens": -5}', 400, "max_tokens"),
        (b'{"messages": [{"role": "user", "content": "a"}], "top_p": Infinity}', 400, "Infinity"),
        (json.dumps({"model": "openai/gpt-5-mini", "messages": MSG, "n": 1000}).encode(), 400, "maximum of 128"),
        (
            json.dumps({"model": "openai/gpt-5-mini", "messages": MSG, "max_tokens": 10**15}).encode(),
            402,
            "can only afford",
        ),
        (
            json.dumps({"model": "gryphe/mythomax-l2-13b", "messages": MSG, "max_tokens": 10**9}).encode(),
            400,
            "maximum context length",
        ),
        (
            json.dumps({"model": "openai/gpt-5-mini", "messages": MSG, "temperature": "hot"}).encode(),
            400,
            "temperature",
        ),
    ],
)
def test_bad_bodies(server, content, status, fragment):
    r = post(server, content)
    assert r.status_code == status
    assert fragment in r.json()["error"]["message"]
    still_serving(server)


def test_ten_thousand_messages(server):
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"message {i}"} for i in range(10_000)]
    start = time.monotonic()
    r = post(server, json.dumps({"model": "openai/gpt-5-mini", "messages": messages}).encode())
    assert r.status_code == 200 and r.json()["usage"]["prompt_tokens"] > 10_000
    assert time.monotonic() - start < 20


def test_fifty_megabyte_body_is_413(server):
    body = b'{"messages": [{"role": "user", "content": "' + b"x" * (50 * 1024 * 1024) + b'"}]}'
    try:
        r = post(server, body, timeout=60)
        assert r.status_code == 413 and r.json()["error"]["message"] == "Request payload too large"
    except httpx.TransportError:
        pass  # the server may close the connection before the client finished sending: a clean close
    entry = server.mock.journal.find(status=413)[-1]
    assert entry.body == {"truncated": True, "bytes": 0} or entry.body["truncated"]
    still_serving(server)


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
def test_wrong_content_types(server, ctype):
    good = json.dumps({"model": "openai/gpt-5-mini", "messages": MSG}).encode()
    r = post(server, good, {"Content-Type": ctype})
    assert r.status_code == 200  # OpenRouter reads the body as JSON whatever the header says
    r = post(server, b"a=1&b=2", {"Content-Type": ctype})
    assert r.status_code == 400 and r.json()["error"]["code"] == 400


def test_header_flood(server):
    headers = {f"X-Flood-{i}": "y" * 100 for i in range(2000)}
    try:
        r = httpx.post(
            server.base_url + URL,
            json={"model": "openai/gpt-5-mini", "messages": MSG},
            headers={**AUTH, **headers},
            timeout=10,
        )
        assert r.status_code in (200, 400, 431)
    except httpx.TransportError:
        pass  # refused by the HTTP parser: a clean close
    still_serving(server)


def test_slow_loris_does_not_block_others(server):
    sockets = []
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
        sockets.append(s)
    try:
        start = time.monotonic()
        still_serving(server)
        assert time.monotonic() - start < 5
    finally:
        for s in sockets:
            s.close()


def test_disconnect_mid_stream_leaks_no_task(server):
    server.mock.time_scale = 1.0
    try:

        async def go():
            async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH, timeout=10) as c:
                body = {"model": "openai/gpt-5-chat", "messages": MSG, "stream": True, "max_tokens": 300}
                async with c.stream("POST", URL, json=body, headers={"X-Mockrouter-Fault": "ttft=50"}) as r:
                    async for line in r.aiter_lines():
                        if line.startswith("data:"):
                            break

        before = server.mock.journal.total
        for _ in range(5):
            asyncio.run(go())
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            entries = [e for e in server.mock.journal if e.id > before]
            if len(entries) == 5 and all(e.done for e in entries):
                break
            time.sleep(0.05)
        assert [e.outcome for e in entries] == ["cancelled"] * 5
        loop = server.server.servers[0].get_loop() if hasattr(server.server.servers[0], "get_loop") else None
        if loop is not None:
            pending = asyncio.run_coroutine_threadsafe(_count_tasks(), loop).result(5)
            assert pending <= 2  # the server's own tasks; no stream or watcher task left behind
    finally:
        server.mock.time_scale = 0


async def _count_tasks() -> int:
    await asyncio.sleep(0.2)
    return sum(1 for t in asyncio.all_tasks() if not t.done() and "watch" in repr(t.get_coro()))
