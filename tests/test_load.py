"""Load without loss (bounded in count and time, loopback only): concurrent paced streams deliver every chunk in
order; thousands of requests with injected faults produce exactly the journalled outcomes, and credits add up."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from mockrouter import Mock, MockRouterServer, Settings, create_app
from mockrouter.fixtures import default_paths, world_from
from tests.conftest import KEY
from tests.contract_check import sse_events

MANAGER = "sk-or-v1-" + "e" * 64
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"


@pytest.mark.socket
def test_many_concurrent_paced_streams_lose_nothing():
    streams = 1000
    settings = Settings(time_scale=1.0)
    with MockRouterServer(settings) as server:
        stub = {"name": "paced", "respond": {"content": WORDS, "latency": {"ttft_ms": 200, "tokens_per_second": 50}}}
        httpx.post(f"{server.url}/__mockrouter/stubs", json=stub).raise_for_status()
        body = {"model": "openai/gpt-5-chat", "messages": [{"role": "user", "content": "Hi"}], "stream": True}

        async def one(client: httpx.AsyncClient) -> list[str]:
            async with client.stream("POST", "/chat/completions", json=body) as r:
                assert r.status_code == 200
                text = "".join([chunk async for chunk in r.aiter_text()])
            return sse_events(text)

        async def run() -> list[list[str]]:
            limits = httpx.Limits(max_connections=streams, max_keepalive_connections=0)
            async with httpx.AsyncClient(base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"},
                                         limits=limits, timeout=120) as client:  # fmt: skip
                return await asyncio.gather(*(one(client) for _ in range(streams)))

        results = asyncio.run(run())
        assert len(results) == streams
        for events in results:
            assert events[-1] == "[DONE]"
            chunks = [json.loads(e) for e in events[:-1]]
            text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
            assert text == WORDS  # every chunk, in order
            assert "usage" in chunks[-1]
        entries = [e for e in server.mock.journal.find(path="/api/v1/chat/completions")]
        assert len(entries) == streams and all(e.outcome == "completed" for e in entries)


def test_faulted_requests_match_the_journal_and_credits_add_up():
    total, rng = 10_000, random.Random(7)
    world = world_from({"keys": [{"key": KEY, "account": "load"}, {"key": MANAGER, "account": "load", "management": True}],
                        "accounts": [{"id": "load", "credits": 1000}]}, base=default_paths())  # fmt: skip
    mock = Mock(Settings(time_scale=0, journal_size=total + 10), world=world)
    plan = []
    for i in range(total):
        r = rng.random()
        fault = (
            "status=502"
            if r < 0.1
            else "kind=provider_error; status=503"
            if r < 0.15
            else "mid-stream=2"
            if r < 0.2
            else None
        )
        plan.append((i, fault, rng.random() < 0.5))

    async def one(client: httpx.AsyncClient, i: int, fault: str | None, stream: bool) -> tuple[int, int, float, str]:
        headers = {"X-Mockrouter-Fault": fault} if fault else {}
        body = {
            "model": "openai/gpt-5-mini",
            "stream": stream,
            "messages": [{"role": "user", "content": f"question {i}"}],
        }
        r = await client.post("/api/v1/chat/completions", json=body, headers=headers)
        if r.status_code != 200:
            return i, r.status_code, 0.0, "error"
        if stream:
            chunks = [json.loads(e) for e in sse_events(r.text) if e != "[DONE]"]
            if "error" in chunks[-1]:
                return i, 200, 0.0, "mid_stream_error"
            return i, 200, chunks[-1]["usage"]["cost"], "completed"
        doc = r.json()
        outcome = "mid_stream_error" if doc["choices"][0]["finish_reason"] == "error" else "ok"
        return i, 200, doc["usage"]["cost"], outcome

    async def run() -> list[tuple[int, int, float, str]]:
        transport = httpx.ASGITransport(app=create_app(mock=mock))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {KEY}"}
        ) as c:
            out = []
            for start in range(0, total, 200):
                out += await asyncio.gather(*(one(c, *p) for p in plan[start : start + 200]))
            credits = (await c.get("/api/v1/credits", headers={"Authorization": f"Bearer {MANAGER}"})).json()["data"]
            return out + [(-1, 0, credits["total_usage"], "credits")]

    results = asyncio.run(run())
    *served, (_, _, total_usage, _) = results
    journal = {e.body["messages"][0]["content"]: e for e in mock.journal if e.path == "/api/v1/chat/completions"}
    assert len(journal) == total
    for (i, fault, is_stream), (j, status, cost, outcome) in zip(plan, served, strict=True):
        assert i == j
        entry = journal[f"question {i}"]
        assert entry.status == status
        expected = 502 if fault == "status=502" else 200
        assert status == expected
        if fault and fault.startswith("kind=provider_error"):
            assert [a["status"] for a in entry.attempts][0] == 503 and entry.attempts[-1]["status"] == 200
        if fault == "mid-stream=2":
            assert outcome == entry.outcome == "mid_stream_error"
        elif status == 200:
            assert entry.outcome in ("ok", "completed") and outcome == entry.outcome
        assert entry.stream is is_stream
        if cost:
            assert cost == entry.cost  # what the client was told is what the journal and the account say
    charged = sum(e.cost or 0.0 for e in journal.values())
    assert round(total_usage, 2) == round(charged, 2)  # to the cent
    assert abs(total_usage - charged) < 1e-9  # and exactly, in fact
