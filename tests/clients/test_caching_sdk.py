"""Prompt caching through the official openai SDK over a socket: a repeated 2,000-token prompt reads the cache at
``input_cache_read``; ``cache_control`` on Claude writes then reads; the provider sticks while the cache lives."""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = pytest.mark.socket

LONG = "Context: " + " ".join(f"fact{i} is noted." for i in range(700))


def _ask(client, model, question, system=LONG):
    return client.chat.completions.create(
        model=model, max_tokens=16, messages=[{"role": "system", "content": system}, {"role": "user", "content": question}]
    )


def test_implicit_cache_reads_follow_the_cache_price(live, sdk):
    client = sdk(live)
    first, second = _ask(client, "openai/gpt-5-mini", "One?"), _ask(client, "openai/gpt-5-mini", "Two?")
    assert first.usage.prompt_tokens_details.cached_tokens == 0
    cached = second.usage.prompt_tokens_details.cached_tokens
    assert cached >= 1024
    provider = second.model_extra["provider"]
    assert provider == first.model_extra["provider"]
    endpoint = next(e for e in live.mock.world.models["openai/gpt-5-mini"].endpoints if e.provider_name == provider)
    prompt, read, out = (Decimal(endpoint.pricing[k]) for k in ("prompt", "input_cache_read", "completion"))
    u = second.usage
    expected = (u.prompt_tokens - cached) * prompt + cached * read + u.completion_tokens * out
    assert u.model_extra["cost"] == pytest.approx(float(expected), abs=1e-12)


def test_cache_control_on_claude_writes_then_reads(live, sdk):
    client = sdk(live)
    system = [{"type": "text", "text": LONG, "cache_control": {"type": "ephemeral"}}]
    first = _ask(client, "anthropic/claude-sonnet-4.5", "One?", system=system)
    later = [_ask(client, "anthropic/claude-sonnet-4.5", q, system=system) for q in ("Two?", "Three?")]
    written = first.usage.prompt_tokens_details.cache_write_tokens
    assert written >= 1024 and first.usage.prompt_tokens_details.cached_tokens == 0
    assert [r.usage.prompt_tokens_details.cached_tokens for r in later] == [written, written]
    assert {r.model_extra["provider"] for r in later} == {first.model_extra["provider"]}
