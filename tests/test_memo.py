"""A repeated request replays its worked-out completion (``mockrouter.engine.memo``): the replay must be exactly what the
full pipeline would have answered, and every per-request effect (charge, ids, record, journal, limits, stub hits)
must still happen. The memo must give way whenever the outcome could differ."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mockrouter import Mock, Settings
from tests.conftest import AUTH, KEY, chat, make_client

_IDS = re.compile(rb"gen-\d+-[A-Za-z0-9]{20}")
_CREATED = re.compile(rb'"created":\d+')


def _normal(raw: bytes) -> bytes:
    return _CREATED.sub(b'"created":0', _IDS.sub(b"gen-ID", raw))


def _entry(e: Any) -> dict[str, Any]:
    d = e.as_dict()
    for k in ("id", "time", "duration_ms", "generation_id", "ttft_ms"):
        d.pop(k)
    return d


BODIES: list[dict[str, Any]] = [
    {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello"}]},
    {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello"}], "stream": True},
    {"model": "anthropic/claude-sonnet-4", "messages": [{"role": "user", "content": "Think"}], "reasoning": {"effort": "low"}},
    {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Weather?"}],
     "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]},
]  # fmt: skip


@pytest.mark.parametrize("body", BODIES, ids=["json", "stream", "reasoning", "tools"])
def test_replay_is_what_the_full_pipeline_answers(body):
    repeated = Mock(Settings(time_scale=0))
    with make_client(repeated) as c:
        first = c.post("/api/v1/chat/completions", json=body, headers=AUTH)
        c.post("/api/v1/chat/completions", json=body, headers=AUTH)  # seen twice: its outcome is kept
        assert repeated.memo.hits == 0
        second = c.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert repeated.memo.hits == 1
    fresh = Mock(Settings(time_scale=0))
    with make_client(fresh) as c:
        reference = c.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert fresh.memo.hits == 0
    assert first.status_code == second.status_code == reference.status_code == 200
    assert _normal(second.content) == _normal(reference.content) == _normal(first.content)
    assert second.headers["x-generation-id"] != first.headers["x-generation-id"]
    assert _entry(repeated.journal.last) == _entry(fresh.journal.last)


def test_every_replay_is_charged_recorded_and_journaled(client, mock):
    ids, costs = [], []
    for n in range(5):
        r = chat(client, headers={"User-Agent": f"agent/{n}"})
        ids.append(r.json()["id"])
        costs.append(r.json()["usage"]["cost"])
    assert mock.memo.hits == 3  # the first two are worked out (the memo keeps a request seen twice)
    assert len(set(ids)) == 5
    assert mock.state.key_state(KEY).usage == pytest.approx(sum(costs), abs=1e-12)
    for n, gen_id in enumerate(ids):
        record = client.get("/api/v1/generation", params={"id": gen_id}, headers=AUTH).json()["data"]
        assert record["id"] == gen_id and record["upstream_id"] == f"chatcmpl-{gen_id[-20:]}"
        assert record["user_agent"] == f"agent/{n}"
        assert record["provider_responses"][-1]["id"] == record["upstream_id"]
    entries = mock.journal.find(path="/api/v1/chat/completions")
    assert [e.generation_id for e in entries] == ids
    assert all(e.outcome == "ok" and e.cost == costs[0] for e in entries)


def test_pinned_clock_ids_stay_deterministic_through_replays():
    def ids() -> list[str]:
        with make_client(Mock(Settings(time_scale=0, clock=1_700_000_000))) as c:
            return [chat(c).json()["id"] for _ in range(3)]

    first = ids()
    assert first == ids() and len(set(first)) == 3
    assert all(i.startswith("gen-1700000000-") for i in first)


def test_pinned_clock_counts_a_bounded_number_of_requests(monkeypatch):
    """A pinned clock counts each request's ids (the n-th id of a request is always the same) for the most recently
    seen requests only: a long run's memory stays flat; a request seen again keeps its place."""
    from mockrouter import seeding

    monkeypatch.setattr(seeding, "PINNED_REQUESTS", 4)
    clock = seeding.Clock(1_700_000_000)
    kept = [clock.generation_id(0, "kept")]
    for i in range(20):
        clock.generation_id(0, f"other-{i}")
        if i % 3 == 0:
            kept.append(clock.generation_id(0, "kept"))  # seen again: the most recent, never the one forgotten
    assert len(clock._occurrences) == 4
    assert len(set(kept)) == len(kept) == 8  # its count went on: a new id each time
    again = seeding.Clock(1_700_000_000)
    assert [again.generation_id(0, "kept") for _ in range(8)] == kept  # the n-th id of a request is fixed
    assert clock.generation_id(0, "other-0") == again.generation_id(0, "other-0")  # forgotten: counted afresh


def test_seed_header_and_body_changes_are_not_replayed(client, mock):
    base = chat(client).json()["choices"][0]["message"]["content"]
    seeded = chat(client, headers={"X-Mockrouter-Seed": "99"}).json()["choices"][0]["message"]["content"]
    other = chat(client, messages=[{"role": "user", "content": "Hello again"}]).json()
    assert mock.memo.hits == 0
    assert base != seeded
    assert other["choices"][0]["message"]["content"] != base


def test_runtime_stub_and_fault_take_effect_on_a_repeated_request(client, mock):
    chat(client)
    client.post("/__mockrouter/stubs", json={"name": "s", "match": {"model": "openai/gpt-5-mini"},
                                               "respond": {"content": "stubbed"}})  # fmt: skip
    assert chat(client).json()["choices"][0]["message"]["content"] == "stubbed"
    client.post("/__mockrouter/faults", json={"kind": "error", "status": 429, "times": 1})
    assert chat(client).status_code == 429
    assert chat(client).json()["choices"][0]["message"]["content"] == "stubbed"
    assert mock.state.stub_hit_counts()["s"] == 3  # the faulted request matched the stub too


def test_scenario_steps_are_not_replayed(client):
    stubs = [
        {"name": "one", "match": {"model": "openai/gpt-5-mini"}, "respond": {"content": "first"},
         "scenario": {"name": "flow", "requires": "started", "sets": "second"}},
        {"name": "two", "match": {"model": "openai/gpt-5-mini"}, "respond": {"content": "second"},
         "scenario": {"name": "flow", "requires": "second", "sets": "done"}},
    ]  # fmt: skip
    client.post("/__mockrouter/stubs", json=stubs)
    answers = [chat(client).json()["choices"][0]["message"]["content"] for _ in range(3)]
    assert answers[:2] == ["first", "second"]
    assert answers[2] not in ("first", "second")


def test_times_limited_stub_stops_matching(client):
    client.post("/__mockrouter/stubs", json={"name": "twice", "match": {"model": "openai/gpt-5-mini"}, "times": 2,
                                               "respond": {"content": "limited"}})  # fmt: skip
    answers = [chat(client).json()["choices"][0]["message"]["content"] for _ in range(4)]
    assert answers[:2] == ["limited", "limited"]
    assert "limited" not in answers[2:]


def test_header_matched_stub_sees_each_request_headers(client):
    client.post("/__mockrouter/stubs", json={"name": "h", "match": {"headers": {"x-team": "^red$"}},
                                               "respond": {"content": "red team"}})  # fmt: skip
    red = chat(client, headers={"X-Team": "red"}).json()["choices"][0]["message"]["content"]
    blue = chat(client, headers={"X-Team": "blue"}).json()["choices"][0]["message"]["content"]
    again = chat(client, headers={"X-Team": "red"}).json()["choices"][0]["message"]["content"]
    assert red == again == "red team" and blue != "red team"


def test_credits_and_key_limit_still_checked_on_replays(client, mock):
    assert chat(client).status_code == 200
    account = mock.state.key_state(KEY).account
    mock.state.set_credits(account.id, credits=account.usage)  # balance 0
    r = chat(client)
    assert r.status_code == 402 and r.json()["error"]["code"] == 402
    mock.state.set_credits(account.id, credits=account.usage + 100)
    mock.state.update_key(KEY, limit=mock.state.key_state(KEY).usage)
    r = chat(client)
    assert r.status_code == 403 and "limit" in r.json()["error"]["message"].lower()


def test_free_model_window_counts_replays():
    mock = Mock(Settings(time_scale=0))
    with make_client(mock) as c:
        codes = [chat(c, model="deepseek/deepseek-chat-v3-0324:free").status_code for _ in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert mock.memo.hits == 19  # all but the first two were replays (the 21st too, refused by the window)


def test_settings_change_and_reset_forget_the_memo(client, mock):
    chat(client)
    client.put("/__mockrouter/settings", json={"seed": 5})
    chat(client)
    assert mock.memo.hits == 0
    client.post("/__mockrouter/reset")
    assert len(mock.memo) == 0


def test_timed_outages_turn_the_memo_off():
    from dataclasses import replace

    from mockrouter.fixtures import load_for
    from mockrouter.world import Outage

    world = load_for(Settings())
    model = world.models["openai/gpt-5-mini"]
    first = model.endpoints[0]
    later = replace(first, reliability=replace(first.reliability, outages=(Outage(3600, 7200, 503),)))
    world = replace(world, models={**world.models, model.id: replace(model, endpoints=(later, *model.endpoints[1:]))})
    mock = Mock(Settings(time_scale=0), world)
    with make_client(mock) as c:
        codes = [c.post("/api/v1/chat/completions", content=json.dumps(BODIES[0]), headers=AUTH).status_code
                 for _ in range(3)]  # fmt: skip
    assert codes == [200, 200, 200]
    assert mock.memo.hits == 0 and len(mock.memo) == 0


def _say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_requests_seen_once_are_not_kept(client, mock):
    for n in range(10):
        assert chat(client, messages=_say(f"distinct prompt {n}")).status_code == 200
    assert len(mock.memo) == 0 and mock.memo.hits == 0
    chat(client, messages=_say("distinct prompt 3"))  # the second sighting: worked out again, then kept
    assert len(mock.memo) == 1 and mock.memo.hits == 0
    chat(client, messages=_say("distinct prompt 3"))
    assert mock.memo.hits == 1
    client.post("/__mockrouter/reset")
    chat(client, messages=_say("distinct prompt 4"))  # the reset forgot its sighting too
    assert len(mock.memo) == 0


def test_sightings_remember_keys_until_wiped():
    from mockrouter.engine.memo import Sightings

    seen = Sightings(100)
    keys = range(100)  # small ints hash to themselves: no collision to allow for
    assert not any(seen.again(k) for k in keys)
    assert all(seen.again(k) for k in keys)
    assert seen.again(100) is False  # the 101st new key wipes the map first
    assert not any(seen.again(k) for k in keys)  # ... so the others are new again
    seen.clear()
    assert seen.again(0) is False


@pytest.mark.parametrize("body", BODIES[:2], ids=["json", "stream"])
def test_every_sighting_carries_its_own_id_and_time(body):
    """The first sighting is written with its id and time at once, the second with markers spliced (and kept), the
    third replayed: each answer carries its own generation id and the current time, in every event."""
    import time

    mock = Mock(Settings(time_scale=0))
    with make_client(mock) as c:
        answers = [c.post("/api/v1/chat/completions", json=body, headers=AUTH) for _ in range(3)]
    assert mock.memo.hits == 1
    for r in answers:
        ids = set(re.findall(rb'"id":"(gen-[^"]+)"', r.content))
        assert ids == {r.headers["x-generation-id"].encode()}
        stamps = {int(t) for t in re.findall(rb'"created":(\d+)', r.content)}
        assert len(stamps) == 1 and abs(stamps.pop() - time.time()) < 5
    assert len({r.headers["x-generation-id"] for r in answers}) == 3


def test_requests_that_account_alike_share_their_usage():
    from mockrouter.engine.usage import account, usage_block
    from mockrouter.fixtures import load_for
    from mockrouter.kinds import profile

    endpoint = load_for(Settings()).models["openai/gpt-5-mini"].endpoints[0]
    first, second = account(endpoint, 12, [40], [0]), account(endpoint, 12, [40], [0])
    assert first is second and account(endpoint, 13, [40], [0]) is not first
    current = profile("current")
    block = usage_block(first, current, True)
    assert usage_block(second, current, True) is block and usage_block(first, current, False) is not block
    assert block["prompt_tokens"] == 12 and block["completion_tokens"] == 40
