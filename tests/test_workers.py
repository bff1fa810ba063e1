"""``mockrouter serve --workers 2 --redis URL`` as a real process tree, through real sockets: the journal,
credits, scenario states, rate windows, faults, admin changes and generations hold across workers.

Two keep-alive connections pinned to different workers (found through ``/__mockrouter/health``, which
names the worker's process) make every cross-worker step deterministic."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.conftest import AUTH, KEY
from tests.processes import per_worker, serving

pytestmark = pytest.mark.socket

CHAT = "/api/v1/chat/completions"
MSG = [{"role": "user", "content": "Hello there"}]


@pytest.fixture(scope="module")
def server(redis_url: str) -> Iterator[str]:
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"mockrouter-workers-{os.getpid()}.log"
    try:
        with serving("--workers", "2", "--redis", redis_url, log=log, start_timeout=30, stop_timeout=20) as (url, p):
            yield url
        assert p.returncode == 0, log.read_text()
    finally:
        log.unlink(missing_ok=True)


@pytest.fixture
def two(server: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two clients, each on one keep-alive connection to a different worker; the mock reset."""
    with per_worker(server, attempts=100, timeout=10) as found:
        a, b = found.values()
        assert a.post("/__mockrouter/reset").status_code == 200
        yield a, b


def chat(client: httpx.Client, key: str = KEY, **body: object) -> httpx.Response:
    return client.post(CHAT, json={"model": "openai/gpt-5-mini", "messages": MSG, **body},
                       headers={"Authorization": f"Bearer {key}"})  # fmt: skip


def _stream_usage(text: str) -> dict[str, object]:
    events = [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: {")]
    return next(e["usage"] for e in reversed(events) if e.get("usage"))


def test_concurrent_requests_journal_and_credits_add_up(server, two):
    async def one(client: httpx.AsyncClient, i: int) -> tuple[int, Decimal]:
        body = {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": f"question {i % 13}"}]}
        if i % 5 == 0:
            body["stream"] = True
        r = await client.post(CHAT, json=body, headers=AUTH)
        usage = _stream_usage(r.text) if i % 5 == 0 else r.json()["usage"]
        return r.status_code, Decimal(str(usage["cost"]))

    async def run() -> list[tuple[int, Decimal]]:
        limits = httpx.Limits(max_connections=24, max_keepalive_connections=24)
        async with httpx.AsyncClient(base_url=server, limits=limits, timeout=30) as client:
            return await asyncio.gather(*(one(client, i) for i in range(240)))

    results = asyncio.run(run())
    assert {status for status, _ in results} == {200}
    a, b = two
    deadline = time.monotonic() + 5
    while True:  # a stream's entry completes just after its last byte is written (as in memory)
        entries = a.get("/__mockrouter/requests", params={"path": CHAT}).json()["requests"]
        if all(e["done"] for e in entries) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert len(entries) == 240 and len({e["id"] for e in entries}) == 240
    assert all(e["done"] and e["status"] == 200 for e in entries)
    served = {e["worker"] for e in entries}
    assert len(served) == 2, served  # the kernel spread the connections over both workers
    spent = sum((cost for _, cost in results), Decimal(0))
    assert Decimal(str(sum(Decimal(str(e["cost"])) for e in entries))) == spent
    key = b.get("/api/v1/key", headers=AUTH).json()["data"]
    assert Decimal(str(key["usage"])) == spent and Decimal(str(key["usage_daily"])) == spent
    accounts = a.get("/__mockrouter/accounts").json()["accounts"]
    assert [Decimal(str(x["usage"])) for x in accounts] == [spent]
    assert b.get("/__mockrouter/requests/count", params={"path": CHAT}).json() == {"count": 240}


def test_credits_run_out_across_workers(two):
    a, b = two
    account = a.get("/__mockrouter/keys", params={"key": KEY}).json()["account"]
    a.put(f"/__mockrouter/accounts/{account}", json={"credits": 0.002, "usage": 0})
    statuses, spent = [], Decimal(0)
    for client in [a, b] * 20:
        r = chat(client, max_tokens=100)
        statuses.append(r.status_code)
        if r.status_code != 200:
            break
        spent += Decimal(str(r.json()["usage"]["cost"]))
    # one balance for both workers: it runs out after ~0.002 of spending in all, not per worker
    assert statuses[-1] == 402 and set(statuses[:-1]) == {200} and len(statuses) > 3
    assert Decimal("0.002") - spent < Decimal("0.000201")  # less than one more request's most
    assert Decimal(str(b.get(f"/__mockrouter/accounts/{account}").json()["usage"])) == spent


def test_scenario_steps_whichever_worker_answers(two):
    a, b = two
    steps = [{"name": f"step{i}", "match": {"message": "^next$"}, "respond": {"content": f"answer {i}"},
              "scenario": {"name": "walk", "requires": "started" if i == 0 else f"s{i}", "sets": f"s{i + 1}"}}
             for i in range(4)]  # fmt: skip
    assert a.post("/__mockrouter/stubs", json=steps).status_code == 201
    answers = []
    for client in (b, a, b, a):
        r = chat(client, messages=[{"role": "user", "content": "next"}])
        answers.append(r.json()["choices"][0]["message"]["content"])
    assert answers == ["answer 0", "answer 1", "answer 2", "answer 3"]
    assert b.get("/__mockrouter/scenarios/walk").json() == {"name": "walk", "state": "s4"}
    hits = {s["name"]: s["hits"] for s in a.get("/__mockrouter/stubs").json()["stubs"]}
    assert hits == {"step0": 1, "step1": 1, "step2": 1, "step3": 1}
    b.put("/__mockrouter/scenarios/walk", json={"state": "s2"})
    assert chat(a, messages=[{"role": "user", "content": "next"}]).json()["choices"][0]["message"]["content"] == (
        "answer 2"
    )


def test_free_model_limit_counts_requests_on_every_worker(two):
    a, b = two
    free = "meta-llama/llama-3.3-70b-instruct:free"
    statuses = [chat(client, model=free).status_code for client in [a, b] * 10]
    assert statuses == [200] * 20
    for client in (a, b):
        r = chat(client, model=free)
        assert r.status_code == 429 and r.headers["x-ratelimit-limit"] == "20"
    assert chat(b, key=KEY[:-4] + "zzzz", model=free).status_code == 200  # another account: its own window


def test_times_limited_fault_fires_exactly_n_times_across_workers(server, two):
    a, b = two
    assert a.post("/__mockrouter/faults", json={"status": 429, "times": 7, "id": "seven"}).status_code == 201

    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=16)
        async with httpx.AsyncClient(base_url=server, limits=limits, timeout=30) as client:
            rs = await asyncio.gather(*(client.post(CHAT, json={"model": "openai/gpt-5-mini", "messages": MSG},
                                                    headers=AUTH) for _ in range(60)))  # fmt: skip
            return [r.status_code for r in rs]

    statuses = asyncio.run(run())
    assert statuses.count(429) == 7 and statuses.count(200) == 53
    assert b.get("/__mockrouter/faults").json()["faults"][0]["fired"] == 7
    rejected = a.get("/__mockrouter/requests", params={"status": 429}).json()["requests"]
    assert len(rejected) == 7 and len({e["worker"] for e in rejected}) >= 1


def test_admin_changes_reach_every_worker(two):
    a, b = two
    a.put("/__mockrouter/settings", json={"seed": 99, "down": ["openai", "azure"]})
    assert b.get("/__mockrouter/settings").json()["seed"] == 99
    assert chat(b).status_code in (502, 503)  # both providers of gpt-5-mini are down, on B too
    a.put("/__mockrouter/settings", json={"down": []})
    stub = {"name": "hello", "match": {"message": "^ping$"}, "respond": {"content": "pong"}}
    assert b.post("/__mockrouter/stubs", json=stub).status_code == 201
    ping = {"messages": [{"role": "user", "content": "ping"}]}
    assert chat(a, **ping).json()["choices"][0]["message"]["content"] == "pong"
    assert a.delete("/__mockrouter/stubs/hello").json() == {"removed": 1}
    assert chat(b, **ping).json()["choices"][0]["message"]["content"] != "pong"
    assert a.post("/__mockrouter/reset").status_code == 200
    assert b.get("/__mockrouter/requests").json()["requests"] == []
    assert b.get("/__mockrouter/settings").json()["seed"] == 0
    assert b.get("/__mockrouter/accounts").json()["accounts"] == []


def test_generation_made_on_one_worker_is_found_on_the_other(two):
    a, b = two
    r = chat(a)
    gen = b.get("/api/v1/generation", params={"id": r.json()["id"]}, headers=AUTH)
    assert gen.status_code == 200 and gen.json()["data"]["total_cost"] == r.json()["usage"]["cost"]
    stream = chat(b, stream=True)
    gen_id = stream.headers["x-generation-id"]
    found = a.get("/api/v1/generation", params={"id": gen_id}, headers=AUTH).json()["data"]
    assert found["cancelled"] is False and found["total_cost"] == _stream_usage(stream.text)["cost"]
    workers = {e["worker"] for e in a.get("/__mockrouter/requests").json()["requests"]}
    assert len(workers) == 2


def test_worked_out_answers_are_forgotten_when_another_worker_changes_the_world(two):
    a, b = two
    gated = {"name": "gated", "match": {"message": "^again$"}, "respond": {"content": "while started"},
             "scenario": {"name": "gate", "requires": "started"}}  # fmt: skip
    assert a.post("/__mockrouter/stubs", json=gated).status_code == 201
    again = {"messages": [{"role": "user", "content": "again"}]}
    first, second = chat(b, **again).json(), chat(b, **again).json()  # the second is B's replay
    assert first["choices"][0]["message"]["content"] == second["choices"][0]["message"]["content"] == "while started"
    a.put("/__mockrouter/scenarios/gate", json={"state": "closed"})  # no version bump: B sees the new state
    assert chat(b, **again).json()["choices"][0]["message"]["content"] != "while started"
    plain = chat(b).json()["choices"][0]["message"]["content"]
    assert chat(b).json()["choices"][0]["message"]["content"] == plain
    a.put("/__mockrouter/keys", json={"key": KEY, "limit": 0})
    r = chat(b)
    assert r.status_code == 403 and "limit" in r.json()["error"]["message"].lower()


#: runs of 500 concurrent requests, with one worker and with two (issue 11's acceptance: 5; ``make chaos``, which
#: repeats the fault tests within about a minute, runs each once)
RACE_RUNS = int(os.environ.get("MOCKROUTER_RACE_RUNS", "5"))


def _burst(server: str, a: httpx.Client, b: httpx.Client) -> None:
    """500 concurrent requests of about $0.01 each against $1.00: the balance never goes below zero and the key's
    usage is exactly what the answered requests cost (``a`` and ``b`` may be different workers)."""
    account = a.get("/__mockrouter/keys", params={"key": KEY}).json()["account"]
    assert a.put(f"/__mockrouter/accounts/{account}", json={"credits": 1.0, "usage": 0}).status_code == 200
    usage_before = Decimal(str(b.get("/api/v1/key", headers=AUTH).json()["data"]["usage"]))

    async def one(client: httpx.AsyncClient, i: int) -> tuple[int, Decimal]:
        content = f"word {i % 7} " + "word " * 300  # about $0.006 of prompt and at most $0.003 of completion
        body = {"model": "anthropic/claude-opus-4.1", "messages": [{"role": "user", "content": content}],
                "max_tokens": 40, "stream": i % 4 == 0}  # fmt: skip
        r = await client.post(CHAT, json=body, headers=AUTH)
        if r.status_code != 200:
            return r.status_code, Decimal(0)
        usage = _stream_usage(r.text) if i % 4 == 0 else r.json()["usage"]
        return 200, Decimal(str(usage["cost"]))

    async def run() -> list[tuple[int, Decimal]]:
        limits = httpx.Limits(max_connections=250, max_keepalive_connections=250)
        async with httpx.AsyncClient(base_url=server, limits=limits, timeout=60) as client:
            return await asyncio.gather(*(one(client, i) for i in range(500)))

    results = asyncio.run(run())
    statuses = {status for status, _ in results}
    assert statuses == {200, 402}, statuses
    spent = sum((cost for _, cost in results), Decimal(0))
    assert Decimal("0.9") < spent <= Decimal(1)
    state = a.get(f"/__mockrouter/accounts/{account}").json()
    assert state["balance"] >= 0, state
    key_usage = Decimal(str(b.get("/api/v1/key", headers=AUTH).json()["data"]["usage"])) - usage_before
    assert abs(key_usage - spent) < Decimal("1e-9") and abs(Decimal(str(state["usage"])) - spent) < Decimal("1e-9")
    # afterwards, a normal request answers 200 (with credits again) and the journal is readable
    assert a.put(f"/__mockrouter/accounts/{account}", json={"credits": 50}).status_code == 200
    assert chat(b).status_code == 200 and b.get("/__mockrouter/requests").status_code == 200


@pytest.mark.chaos
def test_credits_never_go_negative_under_a_concurrent_burst(server, two):
    """Issue 11 item 3, over two workers: the check of what a request can cost at most and its debit are one step
    in Redis."""
    for _ in range(RACE_RUNS):
        _burst(server, *two)


@pytest.mark.chaos
def test_credits_never_go_negative_under_a_concurrent_burst_on_one_worker():
    """The same with one worker in memory: no await between the check and the debit."""
    from mockrouter import MockRouterServer, Settings

    with MockRouterServer(Settings(time_scale=0)) as live, httpx.Client(base_url=live.url, timeout=60) as client:
        for _ in range(RACE_RUNS):
            _burst(live.url, client, client)
