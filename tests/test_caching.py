"""Prompt caching as the seed's pricing implies: implicit prefix caching (OpenAI and the like), explicit
``cache_control`` breakpoints (Anthropic: writes then reads), sticky routing while a cache lives, on the mock's
clock, per account, reproducible by seed."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from starlette.testclient import TestClient

from mockrouter import Mock, Settings, create_app
from mockrouter.engine.caching import IMPLICIT_MIN_TOKENS, breakpoints, implicit_prefixes, plan_cache
from tests.conftest import AUTH, KEY

URL = "/api/v1/chat/completions"
MINI, SONNET = "openai/gpt-5-mini", "anthropic/claude-sonnet-4.5"
LONG = "Context: " + " ".join(f"fact{i} is noted." for i in range(700))  # about 2,000 tokens


def ask(client, model, question, headers=AUTH, system=LONG, **extra):
    body = {"model": model, "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
            "max_tokens": 32, **extra}  # fmt: skip
    r = client.post(URL, json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def price(mock, model, provider_name, field):
    endpoint = next(e for e in mock.world.models[model].endpoints if e.provider_name == provider_name)
    return Decimal(endpoint.pricing[field] if field in endpoint.pricing else endpoint.pricing["prompt"])


def test_a_repeated_long_prefix_is_read_from_the_cache_at_the_cache_price(client, mock):
    first = ask(client, MINI, "First question?")
    second = ask(client, MINI, "Second question?")
    assert first["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    cached = second["usage"]["prompt_tokens_details"]["cached_tokens"]
    assert cached >= IMPLICIT_MIN_TOKENS and cached % 128 == 0 and cached <= second["usage"]["prompt_tokens"]
    assert second["provider"] == first["provider"]  # sticky routing: the provider that holds the cache
    u = second["usage"]
    prompt_price = price(mock, MINI, second["provider"], "prompt")
    read_price = price(mock, MINI, second["provider"], "input_cache_read")
    completion_price = price(mock, MINI, second["provider"], "completion")
    expected = ((u["prompt_tokens"] - cached) * prompt_price + cached * read_price
                + u["completion_tokens"] * completion_price)  # fmt: skip
    assert u["cost"] == pytest.approx(float(expected), abs=1e-12)
    gen = client.get("/api/v1/generation", params={"id": second["id"]}, headers=AUTH).json()["data"]
    assert gen["native_tokens_cached"] == cached
    assert gen["cache_discount"] == pytest.approx(float(cached * (prompt_price - read_price)), abs=1e-12)


def test_short_prompts_other_accounts_and_other_prefixes_miss(client):
    ask(client, MINI, "Q?")
    short = ask(client, MINI, "Q again?", system="Be brief.")
    assert short["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    other = ask(client, MINI, "Q?", headers={"Authorization": "Bearer sk-or-v1-someone-else-entirely"})
    assert other["usage"]["prompt_tokens_details"]["cached_tokens"] == 0  # caches are per account
    changed = ask(client, MINI, "Q?", system="Preamble. " + LONG)
    assert changed["usage"]["prompt_tokens_details"]["cached_tokens"] == 0  # the prefix differs from the start


def test_cache_control_writes_then_reads(client, mock):
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    first = ask(client, SONNET, "One?", system=system)
    second = ask(client, SONNET, "Two?", system=system)
    d1, d2 = first["usage"]["prompt_tokens_details"], second["usage"]["prompt_tokens_details"]
    assert d1["cached_tokens"] == 0 and d1["cache_write_tokens"] >= 1024
    assert d2["cached_tokens"] == d1["cache_write_tokens"] and d2["cache_write_tokens"] == 0
    assert second["provider"] == first["provider"]
    u = first["usage"]
    provider = first["provider"]
    prompt_price, write_price = price(mock, SONNET, provider, "prompt"), price(mock, SONNET, provider, "input_cache_write")
    expected = ((u["prompt_tokens"] - d1["cache_write_tokens"]) * prompt_price + d1["cache_write_tokens"] * write_price
                + u["completion_tokens"] * price(mock, SONNET, provider, "completion"))  # fmt: skip
    assert u["cost"] == pytest.approx(float(expected), abs=1e-12)
    assert second["usage"]["cost"] < first["usage"]["cost"]


def test_a_one_hour_breakpoint_is_written_at_twice_the_input_price(client, mock):
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    r = ask(client, SONNET, "One?", system=system)
    u, written = r["usage"], r["usage"]["prompt_tokens_details"]["cache_write_tokens"]
    p = price(mock, SONNET, r["provider"], "prompt")
    expected = ((u["prompt_tokens"] - written) * p + written * 2 * p
                + u["completion_tokens"] * price(mock, SONNET, r["provider"], "completion"))  # fmt: skip
    assert u["cost"] == pytest.approx(float(expected), abs=1e-12)


def test_top_level_cache_control_where_no_endpoint_supports_it(client):
    r = client.post(URL, json={"model": MINI, "messages": [{"role": "user", "content": "hi"}],
                               "cache_control": {"type": "ephemeral"}}, headers=AUTH)  # fmt: skip
    assert r.status_code == 404 and r.json()["error"]["message"] == "No endpoints found that support cache control"
    ok = client.post(URL, json={"model": SONNET, "messages": [{"role": "user", "content": LONG}],
                                "cache_control": {"type": "ephemeral"}}, headers=AUTH)  # fmt: skip
    assert ok.status_code == 200 and ok.json()["usage"]["prompt_tokens_details"]["cache_write_tokens"] > 0


def test_caches_expire_on_the_mock_clock_and_reset_with_the_state(client, mock):
    ask(client, MINI, "One?")
    assert ask(client, MINI, "Two?")["usage"]["prompt_tokens_details"]["cached_tokens"] > 0
    mock.state.update_settings(time_scale=100_000)  # 20 ms of real time: about 2,000 s on the mock's clock
    time.sleep(0.02)
    mock.state.update_settings(time_scale=0)
    assert ask(client, MINI, "Three?")["usage"]["prompt_tokens_details"]["cached_tokens"] == 0  # expired
    assert ask(client, MINI, "Four?")["usage"]["prompt_tokens_details"]["cached_tokens"] > 0
    client.post("/__mockrouter/reset")
    assert ask(client, MINI, "Five?")["usage"]["prompt_tokens_details"]["cached_tokens"] == 0


def test_sticky_routing_holds_while_load_balancing_is_otherwise_on(mock):
    """Without a cache, different prompts spread over the providers; with one, the account sticks to its provider;
    an explicit provider order still wins."""
    with TestClient(create_app(mock=mock)) as client:
        spread = {ask(client, MINI, f"q{i}?", system=f"Short {i}.")["provider"] for i in range(24)}
        assert len(spread) > 1  # load balancing is on
        first = ask(client, MINI, "Cached?")["provider"]
        stuck = {ask(client, MINI, f"q{i}?", system=f"Short {i}.")["provider"] for i in range(24)}
        assert stuck == {first}
        other = "OpenAI" if first != "OpenAI" else "Azure"
        slug = other.lower()
        ordered = ask(client, MINI, "q?", system="Short.", provider={"order": [slug], "allow_fallbacks": False})
        assert ordered["provider"] == other


def test_reproducible_by_seed():
    def run() -> list[tuple[str, int, float]]:
        with TestClient(create_app(mock=Mock(Settings(time_scale=0, seed=11)))) as client:
            out = []
            for q in ("a?", "b?", "c?"):
                r = ask(client, MINI, q)
                out.append((r["provider"], r["usage"]["prompt_tokens_details"]["cached_tokens"], r["usage"]["cost"]))
            return out

    assert run() == run()


def test_the_pure_parts():
    body = {"messages": [{"role": "system", "content": LONG}, {"role": "user", "content": "x"}]}
    found = implicit_prefixes(body, 5000)
    assert found[0].tokens == IMPLICIT_MIN_TOKENS and all(b.tokens - a.tokens == 128 for a, b in zip(found, found[1:], strict=False))
    plan = plan_cache(found, {found[2].digest: 1.0}, 5000)
    assert plan.cached_tokens == found[2].tokens and plan.write_tokens == 0
    marked = {"messages": [{"role": "user", "content": [{"type": "text", "text": "a" * 8000,
                                                         "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]}  # fmt: skip
    (mark,) = breakpoints(marked)
    assert mark.explicit and mark.ttl_s == 3600.0 and mark.tokens >= 2000
    assert KEY  # the shared key of the suite's in-process client


@pytest.mark.parametrize(
    "text",
    [
        "word " * 2000 + "\ud800 \U0001f600 \u00fc " * 200,  # a lone surrogate, a non-BMP character, non-ASCII
        "plain ascii words, " * 600,  # ASCII: hashed from one encoding of the prompt
    ],
    ids=["non-ascii", "ascii"],
)
def test_each_implicit_prefix_digest_is_the_digest_of_that_prefix(text):
    """The prefixes are hashed in one pass (each digest from the last one's state): every digest is still the
    digest of its whole prefix, whatever the text holds."""
    from mockrouter.engine import caching

    body = {"messages": [{"role": "system", "content": "rules"}, {"role": "user", "content": text}]}
    found = caching.implicit_prefixes(body, len(text) // 4)
    whole = "".join(caching._canonical(body))
    assert len(found) > 10
    assert all(p.digest == caching._digest(whole[: p.tokens * 4]) for p in found)


def test_a_prompt_cache_is_bounded_and_forgets_the_least_recently_written(monkeypatch):
    """At time_scale 0 the mock's clock stands still and nothing expires: the cache stays bounded all the same,
    and writing a prefix again keeps it (the least recently written go first)."""
    from mockrouter.fixtures import load_for
    from mockrouter.settings import Settings
    from mockrouter.state import memory

    monkeypatch.setattr(memory, "CACHED_PREFIXES", 8)
    state = memory.MemoryState(load_for(Settings()), time_scale=0)
    state.cache_prefixes("acct", "openai", {"kept": 300.0}, "openai/gpt-5-mini")
    for n in range(20):
        state.cache_prefixes("acct", "openai", {f"p{n}": 300.0, "kept": 300.0}, "openai/gpt-5-mini")
    held = state.caches[("acct", "openai")]
    assert len(held) == 8 and "kept" in held and "p0" not in held and "p19" in held
    assert state.cached_prefixes("acct", "openai", ["kept", "p19", "p0"]).keys() == {"kept", "p19"}
