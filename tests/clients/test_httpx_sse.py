"""httpx + httpx-sse over a real socket: framing, pacing, keep-alives and cancellation."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from httpx_sse import connect_sse

from tests.conftest import AUTH
from tests.contract_check import assert_valid

pytestmark = pytest.mark.socket  # httpx against the session's live server


def test_sse_events_validate(live):
    body = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    with (
        httpx.Client(base_url=live.base_url, headers=AUTH) as c,
        connect_sse(c, "POST", "/chat/completions", json=body) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        datas = [e.data for e in source.iter_sse()]
    assert datas[-1] == "[DONE]"
    for d in datas[:-1]:
        assert_valid("chat-completion-chunk.json", json.loads(d))


def test_stream_is_paced_and_keeps_alive(live):
    live.mock.time_scale = 1.0
    stub = {
        "name": "slow",
        "respond": {"content": "one two three four five", "latency": {"ttft_ms": 1300, "tokens_per_second": 20}},
    }
    with httpx.Client(base_url=live.url) as admin:
        assert admin.post("/__mockrouter/stubs", json=stub).status_code == 201
    body = {"model": "openai/gpt-5-chat", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    start = time.monotonic()
    seen: list[tuple[float, str]] = []
    with (
        httpx.Client(base_url=live.base_url, headers=AUTH, timeout=10) as c,
        c.stream("POST", "/chat/completions", json=body) as r,
    ):
        for line in r.iter_lines():
            if line:
                seen.append((time.monotonic() - start, line))
    comments = [t for t, line in seen if line.startswith(":")]
    data = [t for t, line in seen if line.startswith("data:")]
    assert len(comments) >= 2  # one at once, one while waiting for the first token
    assert data[0] >= 1.25  # never early (loose upper bound: shared machines)
    assert data[0] < 5
    assert data[-2] - data[0] >= 0.15  # 5 tokens at 20 tok/s are paced, not dumped


def test_client_disconnect_is_journaled_as_cancelled(live):
    live.mock.time_scale = 1.0
    body = {
        "model": "openai/gpt-5-chat",
        "messages": [{"role": "user", "content": "Hi"}],
        "stream": True,
        "max_tokens": 200,
    }
    stub = {"name": "slowish", "respond": {"latency": {"ttft_ms": 10, "tokens_per_second": 20}}}
    with httpx.Client(base_url=live.url) as admin:
        admin.post("/__mockrouter/stubs", json=stub)
    with (
        httpx.Client(base_url=live.base_url, headers=AUTH, timeout=10) as c,
        c.stream("POST", "/chat/completions", json=body) as r,
    ):
        for line in r.iter_lines():
            if line.startswith("data:"):
                break
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        entry = live.mock.journal.find(path="/api/v1/chat/completions")[-1]
        if entry.done:
            break
        time.sleep(0.05)
    assert entry.done and entry.outcome == "cancelled"
