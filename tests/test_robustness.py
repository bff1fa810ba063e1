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


@pytest.mark.parametrize("value", ["1e300", "86401", "-1"])
def test_retry_after_beyond_the_declared_range_is_refused(live, value):
    r = chat(live, headers={"X-Mockrouter-Fault": f"status=429; retry-after={value}"})
    assert r.status_code == 400 and "retry_after" in r.json()["error"]["message"] + json.dumps(r.json())
    healthy(live)
