"""Issue 11: nothing a client, a test or a crash does leaves the mock broken, inconsistent or leaking. Each test
goes over a real socket and ends by checking that the mock still answers and its journal is readable."""

from __future__ import annotations

import json
import math

import httpx
import pytest

from mockrouter import MockRouterServer, Settings
from tests.conftest import AUTH

pytestmark = pytest.mark.socket

MODEL = "openai/gpt-5-mini"


def chat(server: MockRouterServer, content: str = "hi", headers: dict[str, str] | None = None, **body: object):
    payload = {"model": MODEL, "messages": [{"role": "user", "content": content}], **body}
    return httpx.post(
        server.base_url + "/chat/completions",
        content=json.dumps(payload).encode(),  # json.dumps escapes a lone surrogate as \\ud800: valid JSON
        headers={**AUTH, "Content-Type": "application/json", **(headers or {})},
        timeout=30,
    )


def journal(server: MockRouterServer) -> list[dict[str, object]]:
    r = httpx.get(server.url + "/__mockrouter/requests", timeout=30)
    assert r.status_code == 200, r.text
    entries: list[dict[str, object]] = r.json()["requests"]
    return entries


def healthy(server: MockRouterServer) -> None:
    assert chat(server).status_code == 200
    journal(server)


# ---------------------------------------------------------------- item 4: lone surrogates, Retry-After


@pytest.mark.chaos
@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "\ud800 hi"}]},
        {"messages": [{"role": "user", "content": "hi \udfff"}], "stream": True},
        {"messages": [{"role": "\ud800", "content": "hi"}]},  # echoed in the 400's violations
        {"messages": [{"role": "user", "content": "hi"}], "user": "\udc80"},
        {"messages": [{"role": "user", "content": "hi"}], "model": "nope/\ud801"},  # echoed in a 4xx message
    ],
)
def test_lone_surrogates_never_break_a_reply_or_the_journal(live, body):
    r = httpx.post(
        live.base_url + "/chat/completions",
        content=json.dumps({"model": MODEL, **body}).encode(),
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code < 500, r.text
    if r.headers["content-type"].startswith("application/json"):
        r.json()  # valid JSON (a surrogate goes out as its JSON escape)
    (entry,) = journal(live)
    assert entry["status"] == r.status_code
    healthy(live)


def test_lone_surrogate_in_an_admin_stub_reply(live):
    stub = {"name": "odd", "match": {"message": "odd"}, "respond": {"content": "x \ud800 y"}}
    assert httpx.post(live.url + "/__mockrouter/stubs", content=json.dumps(stub), timeout=10).status_code < 300
    r = chat(live, "odd one")
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "x \ud800 y"
    r = chat(live, "odd one", stream=True)
    assert r.status_code == 200 and "\\ud800" in r.text
    assert httpx.get(live.url + "/__mockrouter/stubs", timeout=10).status_code == 200
    healthy(live)


@pytest.mark.parametrize(("given", "sent"), [(".nan", "0"), ("86400", "86400"), ("0.25", "0.25"), ("0.0001", "0")])
def test_retry_after_is_always_a_finite_bounded_delay(tmp_path, given, sent):
    world = tmp_path / "world.yaml"
    world.write_text(
        "models:\n  - id: openai/gpt-5-mini\n    endpoints:\n      - {provider: openai, "
        f"reliability: {{error_rates: {{'503': 1.0}}, retry_after_s: {given}}}}}\n"
    )
    with MockRouterServer(Settings(time_scale=0, fixtures=(str(world),))) as server:
        r = chat(server, provider={"only": ["openai"], "allow_fallbacks": False})
        assert r.status_code == 503, r.text
        assert r.headers["retry-after"] == sent
        value = float(r.headers["retry-after"])
        assert math.isfinite(value) and 0 <= value <= 86400
        assert [e["retry_after"] for e in journal(server)] == [sent]


@pytest.mark.chaos
@pytest.mark.parametrize("value", ["1e300", "86401", "-1"])
def test_retry_after_beyond_the_declared_range_is_refused(live, value):
    r = chat(live, headers={"X-Mockrouter-Fault": f"status=429; retry-after={value}"})
    assert r.status_code == 400 and "retry_after" in r.json()["error"]["message"] + json.dumps(r.json())
    healthy(live)


# ---------------------------------------------------------------- item 6: secrets in logs and journal

SECRET = "sk-or-v1-" + "5ec7e7" * 10


@pytest.mark.chaos
@pytest.mark.parametrize(
    ("query", "headers", "body"),
    [
        ({}, {"Proxy-Authorization": f"Bearer {SECRET}"}, {}),
        ({}, {"X-Mockrouter-Key": SECRET}, {}),
        ({}, {"X-Api-Key": SECRET, "Cookie": f"session={SECRET}"}, {}),
        ({"api_key": SECRET}, {}, {}),
        ({"Access_Token": SECRET}, {}, {}),
        ({}, {}, {"api_key": SECRET}),
        ({}, {}, {"provider": {"apiKey": SECRET}}),  # nested, another spelling
    ],
)
def test_credentials_are_journaled_redacted(live, query, headers, body):
    r = httpx.post(
        live.base_url + "/chat/completions",
        params=query,
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **body},
        headers={**AUTH, **headers},
        timeout=30,
    )
    assert r.status_code in (200, 400)
    raw = httpx.get(live.url + "/__mockrouter/requests", timeout=30).text
    assert SECRET not in raw and SECRET[:12] in raw  # kept as a prefix: still tells which key it was
    (entry,) = journal(live)
    assert entry["status"] == r.status_code
    healthy(live)


def test_a_body_kept_as_text_is_redacted_too(live):
    content = ('{"api_key": "' + SECRET + '", "messages": [').encode()  # invalid JSON: journaled as text
    r = httpx.post(live.base_url + "/chat/completions", content=content, headers=AUTH, timeout=30)
    assert r.status_code == 400
    raw = httpx.get(live.url + "/__mockrouter/requests", timeout=30).text
    assert SECRET not in raw and SECRET[:12] in raw


@pytest.mark.parametrize("via", ["option", "environment"])
def test_the_start_up_line_never_prints_the_admin_token(tmp_path, via):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "adm-" + "70ce" * 8
    args = [sys.executable, "-m", "mockrouter", "serve", "--port", str(port), "--time-scale", "0"]
    env = dict(os.environ)
    if via == "option":
        args += ["--admin-token", token]
    else:
        env["MOCKROUTER_ADMIN_TOKEN"] = token
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while "admin_token" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        headers = {"X-Mockrouter-Admin-Token": token}
        while True:  # the token works (so it was really set) and is not printed
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/__mockrouter/health", headers=headers).status_code == 200
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    text = log.read_text()
    assert "admin_token='<redacted>'" in text and token not in text


# ---------------------------------------------------------------- item 5: a limit on request headers


def _raw_request(server: MockRouterServer, head: bytes, body: bytes = b"", chunk: bytes = b"", chunks: int = 0):
    """Send ``head`` (+ ``chunks`` x ``chunk`` + ``body``), then read the answer; (answer, whether every byte went)."""
    import socket

    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sent_all = True
    try:
        sock.sendall(head)
        try:
            for _ in range(chunks):
                sock.sendall(chunk)
            sock.sendall(body)
        except OSError:  # refused half-way: the server closed the connection
            sent_all = False
        answer = b""
        try:
            while part := sock.recv(65536):
                answer += part
                if b"\r\n\r\n" in answer and not chunks and b"content-length" in answer.lower():
                    length = int(answer.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    if len(answer.split(b"\r\n\r\n", 1)[1]) >= length:
                        break
        except OSError:
            pass
        return answer, sent_all
    finally:
        sock.close()


@pytest.mark.chaos
def test_headers_beyond_the_limit_get_431_without_being_read(live):
    limit = live.settings.max_header_bytes
    assert limit == 64 * 1024
    head = b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\nX-Big: "
    answer, sent_all = _raw_request(live, head, chunk=b"a" * 65536, chunks=2000)  # 128 MiB of one header
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert not sent_all  # the connection was closed long before the 128 MiB went
    envelope = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert envelope["error"]["code"] == 431 and envelope["error"]["message"] == "Request Header Fields Too Large"
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 1000) for i in range(100))  # 100 KB over many headers
    answer, _ = _raw_request(live, b"GET /api/v1/models HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert httpx.get(live.base_url + "/models", timeout=10).status_code == 200  # the server keeps serving
    healthy(live)


def test_heads_within_the_limit_and_large_bodies_are_served(live):
    near = {f"X-H{i}": "c" * 1000 for i in range(50)}  # 50 KB of headers: within 64 KiB
    assert httpx.get(live.base_url + "/models", headers=near, timeout=10).status_code == 200
    big = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "d" * 1_000_000}]}).encode()
    head = (
        b"POST /api/v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n" % AUTH["Authorization"].encode()
    )
    head += b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(big)
    answer, sent_all = _raw_request(live, head + big)  # head and 1 MB of body in one write: not a large head
    assert sent_all and answer.startswith(b"HTTP/1.1 200 "), answer[:300]


@pytest.mark.chaos
def test_another_client_is_served_during_a_header_flood(live):
    import threading

    done = threading.Event()

    def flood() -> None:
        for _ in range(20):
            _raw_request(live, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", chunk=b"e" * 65536, chunks=100)
        done.set()

    thread = threading.Thread(target=flood)
    thread.start()
    try:
        while not done.is_set():
            assert httpx.get(live.base_url + "/models", timeout=10).status_code == 200
    finally:
        thread.join(timeout=60)
    healthy(live)


# ---------------------------------------------------------------- item 8: HTTP/1.0 streaming


def _http10(server: MockRouterServer, payload: dict[str, object]) -> tuple[bytes, bytes]:
    """A raw HTTP/1.0 POST; returns the head and the body read until the server closes the connection."""
    import socket

    body = json.dumps(payload).encode()
    request = b"POST /api/v1/chat/completions HTTP/1.0\r\nHost: x\r\nAuthorization: %s\r\n" % (
        AUTH["Authorization"].encode()
    )
    request += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request + body)
        answer = b""
        while part := sock.recv(65536):  # ends only when the server closes: the body is close-delimited
            answer += part
    head, _, rest = answer.partition(b"\r\n\r\n")
    return head.lower(), rest


@pytest.mark.parametrize("stream", [True, False])
def test_http_1_0_gets_no_chunked_encoding(live, stream):
    head, body = _http10(live, {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": stream})
    assert head.startswith(b"http/1.1 200 "), head
    assert b"transfer-encoding" not in head and b"connection: close" in head
    if stream:
        assert b"content-length" not in head and b"text/event-stream" in head
        assert body.startswith(b": OPENROUTER PROCESSING\n\n") and body.endswith(b"data: [DONE]\n\n"), body[-200:]
        events = [json.loads(line[6:]) for line in body.split(b"\n") if line.startswith(b"data: {")]
        assert events[-1]["usage"]["total_tokens"] > 0
    else:
        assert len(body) == int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
        assert json.loads(body)["choices"][0]["message"]["content"]
    (entry,) = journal(live)
    assert entry["status"] == 200
    healthy(live)
