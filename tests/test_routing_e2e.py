"""Routing failures through the HTTP surface: BYOK, credits, key limits, rate limits, failover, faults by
every route (fixture stubs, the override header, the admin API), scenario state."""

from __future__ import annotations

import json
import threading

import pytest

from mockrouter import Mock, Settings
from mockrouter.fixtures import default_paths, world_from
from mockrouter.world import ByokKey
from tests.conftest import AUTH, KEY, chat, make_client
from tests.contract_check import sse_events

MANAGER = "sk-or-v1-" + "f" * 64


def client_for(extra: dict, **settings):
    world = world_from(extra, base=default_paths())
    return make_client(Mock(Settings(time_scale=0, **settings), world=world))


def test_byok_key_states(client, mock):
    account_id = mock.state.key_state(KEY).account.id
    mock.state.set_byok(account_id, {"openai": ByokKey("invalid")})
    r = chat(client, model="openai/gpt-5-mini", provider={"sort": "price"})
    body = r.json()
    assert r.status_code == 200 and body["usage"]["is_byok"] is False  # fell back to shared capacity
    attempts = mock.journal.last.attempts
    assert attempts[0]["byok"] and attempts[0]["status"] == 401 and attempts[-1]["status"] == 200
    mock.state.set_byok(account_id, {"openai": ByokKey("invalid", always_use=True)})
    r = chat(client, model="openai/gpt-5-mini", provider={"only": ["openai"]})
    assert r.status_code == 401 and r.json()["error"]["metadata"]["is_byok"] is True
    mock.state.set_byok(account_id, {"openai": ByokKey("rate_limited", always_use=True)})
    r = chat(client, model="openai/gpt-5-mini", provider={"only": ["openai"]})
    assert r.status_code == 429 and r.json()["error"]["metadata"]["provider_name"] == "OpenAI"
    mock.state.set_byok(account_id, {"openai": ByokKey()})
    body = chat(client, model="openai/gpt-5").json()
    assert body["usage"]["is_byok"] is True
    assert body["usage"]["cost"] == pytest.approx(body["usage"]["cost_details"]["upstream_inference_cost"] * 0.05)


def test_credits_402_and_accounting_adds_up():
    with client_for({"keys": [{"key": KEY, "account": "acct"}, {"key": MANAGER, "account": "acct", "management": True}],
                     "accounts": [{"id": "acct", "credits": 0.01}]}) as c:  # fmt: skip
        r = chat(c, model="openai/gpt-5-mini", max_tokens=100000)
        assert r.status_code == 402
        assert "You requested up to 100000 tokens, but can only afford" in r.json()["error"]["message"]
        assert r.json()["error"]["metadata"]["provider_name"] is None
        costs = [chat(c, model="openai/gpt-5-mini", max_tokens=200).json()["usage"]["cost"] for _ in range(5)]
        credits = c.get("/api/v1/credits", headers={"Authorization": f"Bearer {MANAGER}"}).json()["data"]
        assert credits["total_credits"] == 0.01
        assert credits["total_usage"] == pytest.approx(sum(costs), abs=1e-12)
        assert c.get("/api/v1/key", headers=AUTH).json()["data"]["usage"] == pytest.approx(sum(costs), abs=1e-12)


def test_key_limit_403_and_capped_402():
    capped = "sk-or-v1-capped-key-0001"
    with client_for({"keys": [{"key": capped, "limit": 0.002}]}) as c:
        h = {"Authorization": f"Bearer {capped}"}
        r = c.post("/api/v1/chat/completions", headers=h, json={"model": "openai/gpt-5-mini", "max_tokens": 5000,
                                                                  "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
        assert r.status_code == 402 and "create a key with a higher monthly limit" in r.json()["error"]["message"]
        while True:
            r = c.post("/api/v1/chat/completions", headers=h, json={"model": "openai/gpt-5-mini", "max_tokens": 100,
                                                                      "messages": [{"role": "user", "content": "hi"}]})  # fmt: skip
            if r.status_code != 200:
                break
        assert r.status_code in (402, 403)
        key = c.get("/api/v1/key", headers=h).json()["data"]
        assert key["limit"] == 0.002 and key["limit_remaining"] == pytest.approx(0.002 - key["usage"])


def test_free_model_daily_cap():
    with client_for({"defaults": {"free_requests_per_day": 3}}) as c:
        codes = [chat(c, model="meta-llama/llama-3.3-70b-instruct:free").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        r = chat(c, model="meta-llama/llama-3.3-70b-instruct:free")
        err = r.json()["error"]
        assert err["message"].startswith("Rate limit exceeded: free-models-per-day.")
        assert r.headers["x-ratelimit-limit"] == "3" and err["metadata"]["headers"]["X-RateLimit-Remaining"] == "0"
        assert "x-ratelimit-limit" not in chat(c).headers  # never on successful responses


@pytest.mark.socket
def test_concurrent_debits_are_exact():
    from mockrouter import MockRouterServer

    world = world_from({"keys": [{"key": KEY, "account": "a"}, {"key": MANAGER, "account": "a", "management": True}],
                        "accounts": [{"id": "a", "credits": 50}]}, base=default_paths())  # fmt: skip
    import httpx

    with MockRouterServer(mock=Mock(Settings(time_scale=0), world=world)) as server:
        costs: list[float] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as c:
                r = c.post("/chat/completions", json={"model": "openai/gpt-5-mini", "stream": i % 2 == 0,
                                                       "messages": [{"role": "user", "content": f"q{i}"}]})  # fmt: skip
                if i % 2:
                    cost = r.json()["usage"]["cost"]
                else:
                    cost = json.loads(sse_events(r.text)[-2])["usage"]["cost"]
                with lock:
                    costs.append(cost)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(100)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(costs) == 100
        with httpx.Client(base_url=server.base_url) as c:
            credits = c.get("/credits", headers={"Authorization": f"Bearer {MANAGER}"}).json()["data"]
            key = c.get("/key", headers=AUTH).json()["data"]
        assert credits["total_usage"] == pytest.approx(sum(costs), abs=1e-9)
        assert key["usage"] == pytest.approx(sum(costs), abs=1e-9)


def test_fault_header_times_and_id(client, mock):
    h = {"X-Mockrouter-Fault": "status=429; retry-after=2; times=2; id=abc"}
    first, second, third = (chat(client, headers=h) for _ in range(3))
    assert first.status_code == second.status_code == 429 and third.status_code == 200
    assert first.headers["retry-after"] == "2"
    assert first.json()["error"]["message"] == "Provider returned error"
    assert chat(client, headers={"X-Mockrouter-Fault": "status=abc"}).status_code == 400
    assert chat(client, headers={"X-Mockrouter-Fault": "kind=nonsense"}).status_code == 400


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 524, 529])
def test_any_status_fault_has_the_real_body(client, status):
    r = chat(client, headers={"X-Mockrouter-Fault": f"status={status}"})
    assert r.status_code == status and r.json()["error"]["code"] == status


def test_provider_error_fault_fails_over(client, mock):
    r = chat(
        client,
        model="meta-llama/llama-3.3-70b-instruct",
        headers={"X-Mockrouter-Fault": "kind=provider_error; status=502"},
    )
    assert r.status_code == 200
    assert [a["status"] for a in mock.journal.last.attempts] == [502, 200]
    r = chat(client, model="openai/gpt-5-mini", provider={"order": ["openai"], "allow_fallbacks": False},
             headers={"X-Mockrouter-Fault": "outage=openai"})  # fmt: skip
    assert r.status_code == 503 and r.json()["error"]["metadata"]["provider_name"] == "OpenAI"


def test_timeout_fault(client):
    r = chat(client, headers={"X-Mockrouter-Fault": "timeout"})
    assert r.status_code == 408 and r.json()["error"]["message"] == "Operation timed out. Please try again later."


def test_mid_stream_error_event(client, mock):
    r = chat(client, stream=True, headers={"X-Mockrouter-Fault": "mid-stream=2"})
    assert r.status_code == 200
    events = sse_events(r.text)
    assert "[DONE]" not in events
    last = json.loads(events[-1])
    assert last["error"]["code"] == 502 and last["choices"][0]["finish_reason"] == "error"
    assert len(events) == 3
    assert mock.journal.last.outcome == "mid_stream_error"
    plain = chat(client, headers={"X-Mockrouter-Fault": "mid-stream=2"}).json()
    assert plain["choices"][0]["finish_reason"] == "error" and plain["choices"][0]["error"]["code"] == 502


def test_admin_faults_and_stub_scenario_state(client, mock):
    assert (
        client.post(
            "/__mockrouter/faults", json={"kind": "error", "status": 503, "times": 1, "retry_after": 1}
        ).status_code
        == 201
    )
    assert chat(client).status_code == 503 and chat(client).status_code == 200
    stubs = [
        {"name": "fail", "match": {"message": "flaky"}, "scenario": {"name": "f", "requires": "started", "sets": "once"},
         "respond": {"fault": {"status": 502}}},
        {"name": "fail-again", "match": {"message": "flaky"}, "scenario": {"name": "f", "requires": "once", "sets": "ok"},
         "respond": {"fault": {"status": 502}}},
        {"name": "ok", "match": {"message": "flaky"}, "scenario": {"name": "f", "requires": "ok"}, "respond": {"content": "fine now"}},
    ]  # fmt: skip
    assert client.post("/__mockrouter/stubs", json=stubs).status_code == 201
    msg = [{"role": "user", "content": "a flaky question"}]
    codes = [chat(client, messages=msg).status_code for _ in range(3)]
    assert codes == [502, 502, 200]
    assert chat(client, messages=msg).json()["choices"][0]["message"]["content"] == "fine now"
    assert client.get("/__mockrouter/scenarios/f").json() == {"name": "f", "state": "ok"}
    chat(client, messages=[{"role": "user", "content": "something else"}])
    misses = client.get("/__mockrouter/near-misses").json()["near_misses"]
    assert misses and misses[-1]["near_misses"][0]["diffs"][0]["field"] == "message"


def test_admin_api_is_loopback_or_token_only():
    with make_client(Mock(Settings(time_scale=0, admin_token="s3cret"))) as c:
        assert c.get("/__mockrouter/health").status_code == 403
        assert c.get("/__mockrouter/health", headers={"X-Mockrouter-Admin-Token": "s3cret"}).status_code == 200


def test_auto_router_reports_the_chosen_model(client):
    body = chat(client, model="openrouter/auto").json()
    assert body["model"] != "openrouter/auto" and "/" in body["model"]
    gen = client.get("/api/v1/generation", params={"id": body["id"]}, headers=AUTH).json()["data"]
    assert gen["router"] == "openrouter/auto"


def test_debug_echo_upstream_body(client):
    events = sse_events(chat(client, stream=True, debug={"echo_upstream_body": True}).text)
    first = json.loads(events[0])
    assert first["choices"] == [] and first["debug"]["echo_upstream_body"]["model"] == "gpt-5-mini"


def test_admin_journal_queries(client, mock):
    chat(client, headers={"HTTP-Referer": "https://a.example"})
    chat(client, model="acme/fake")
    chat(client, model="openai/gpt-5-nano")
    q = lambda **p: client.get("/__mockrouter/requests", params=p).json()  # noqa: E731
    assert q(model="openai/gpt-5-nano")["total"] == 1
    assert q(status=400)["requests"][0]["model"] == "acme/fake"
    assert q(header="http-referer=a\\.example")["total"] == 1
    assert q(key=KEY)["total"] == 3 and q(key="sk-or-v1-nobody-else")["total"] == 0
    first = q()["requests"][0]["time"]
    assert q(since=first + 1000)["total"] == 0
    assert client.get("/__mockrouter/requests/count", params={"path": "/api/v1/chat/completions"}).json() == {"count": 3}
    assert all(r["key"].endswith("...") and KEY not in json.dumps(r) for r in q()["requests"])
    client.delete("/__mockrouter/requests")
    assert q()["total"] == 0
