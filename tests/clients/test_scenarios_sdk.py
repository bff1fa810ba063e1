"""Every shipped scenario, end to end through the official openai SDK over a real socket: what the SDK
surfaces (exception class, status, message) and whether its retries were honoured."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import openai
import pytest

from mockrouter import MockRouterServer, Settings
from tests.conftest import KEY

pytestmark = pytest.mark.socket  # each scenario on its own MockRouterServer

MSG = [{"role": "user", "content": "Tell me something"}]


@contextmanager
def scenario(name: str, **settings: object) -> Iterator[MockRouterServer]:
    with MockRouterServer(Settings(scenarios=(name,), time_scale=0, **settings)) as server:  # type: ignore[arg-type]
        yield server


def test_byok_missing(sdk):
    with scenario("byok-missing") as server:
        client = sdk(server)
        with pytest.raises(openai.PermissionDeniedError) as info:
            client.chat.completions.create(model="openai/gpt-5", messages=MSG)
        assert info.value.status_code == 403
        assert info.value.body == {
            "message": "OpenAI is requiring a key to access this model, which you can add in "
            "https://openrouter.ai/settings/integrations - you can also switch to gpt-5-chat or gpt-5-mini.",
            "code": 403,
            "metadata": {"error_type": "permission_denied"},
        }
        assert server.mock.journal.count(status=403) == 1  # 403 is not retried
        for model in ("openai/gpt-5-mini", "openai/gpt-5-nano", "openai/gpt-5-chat"):
            assert client.chat.completions.create(model=model, messages=MSG).choices[0].message


def test_byok_with_key_succeeds_and_is_billed_as_byok(sdk):
    with scenario("byok-missing") as server:
        from mockrouter.world import ByokKey

        server.mock.state.set_byok(server.mock.state.key_state(KEY).account.id, {"openai": ByokKey()})
        r = sdk(server).chat.completions.create(model="openai/gpt-5", messages=MSG)
        usage = r.usage.model_extra
        assert usage["is_byok"] is True
        upstream = usage["cost_details"]["upstream_inference_cost"]
        assert usage["cost"] == pytest.approx(upstream * 0.05, rel=1e-6)
        assert r.model_extra["provider"] == "OpenAI"


def test_credits_exhausted(sdk):
    with scenario("credits-exhausted") as server:
        with pytest.raises(openai.APIStatusError) as info:
            sdk(server).chat.completions.create(model="openai/gpt-5-mini", messages=MSG, max_tokens=65536)
        assert info.value.status_code == 402
        message = info.value.body["message"]
        assert message.startswith(
            "This request requires more credits, or fewer max_tokens. You requested up to 65536 tokens, but can only afford "
        )
        assert message.endswith(
            "To increase, visit https://openrouter.ai/settings/credits and upgrade to a paid account"
        )
        assert server.mock.journal.count(status=402) == 1  # 402 without Retry-After is not retried


def test_key_limit(sdk):
    with scenario("key-limit") as server, pytest.raises(openai.PermissionDeniedError) as info:
        sdk(server).chat.completions.create(model="openai/gpt-5-mini", messages=MSG)
    assert (
        info.value.body["message"]
        == "Key limit exceeded (total limit). Manage it using https://openrouter.ai/settings/keys"
    )


def test_rate_limited_free_model(sdk):
    with scenario("rate-limited-free-model") as server:
        client = sdk(server, max_retries=0)
        free = next(m for m in server.mock.world.models if m.endswith(":free"))
        for _ in range(20):
            client.chat.completions.create(model=free, messages=MSG)
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model=free, messages=MSG)
        headers = info.value.response.headers
        assert headers["x-ratelimit-limit"] == "20" and headers["x-ratelimit-remaining"] == "0"
        assert int(headers["x-ratelimit-reset"]) > time.time() * 1000
        assert 0 < int(headers["retry-after"]) <= 60
        assert info.value.body["metadata"]["headers"]["X-RateLimit-Limit"] == "20"


def test_provider_down_fallback(sdk):
    with scenario("provider-down-fallback") as server:
        r = sdk(server).chat.completions.create(model="meta-llama/llama-3.3-70b-instruct", messages=MSG)
        attempts = server.mock.journal.last.attempts
        assert [a["status"] for a in attempts] == [503, 200]
        assert r.model_extra["provider"] == attempts[1]["provider"] != attempts[0]["provider"]
        gen = httpx.get(
            f"{server.base_url}/generation", params={"id": r.id}, headers={"Authorization": f"Bearer {KEY}"}
        ).json()
        assert gen["data"]["provider_name"] == attempts[1]["provider"]
        assert [p["status"] for p in gen["data"]["provider_responses"]] == [503, 200]


def test_model_fallback(sdk):
    with scenario("model-fallback") as server:
        r = sdk(server).chat.completions.create(
            model="anthropic/claude-sonnet-4", messages=MSG, extra_body={"models": ["openai/gpt-5-mini"]})  # fmt: skip
        assert r.model == "openai/gpt-5-mini"
        gen = server.mock.state.generation(r.id)
        assert gen is not None and gen["model"] == "openai/gpt-5-mini" and gen["total_cost"] == r.usage.model_extra["cost"]


def test_all_providers_down_retries_honour_retry_after(sdk):
    with scenario("all-providers-down") as server:
        server.mock.time_scale = 0
        start = time.monotonic()
        with pytest.raises(openai.InternalServerError) as info:
            sdk(server, max_retries=2).chat.completions.create(model="openai/gpt-5-mini", messages=MSG)
        assert info.value.status_code == 503
        assert info.value.response.headers["retry-after"] == "1"
        entries = server.mock.journal.find(path="/api/v1/chat/completions")
        assert len(entries) == 3  # the SDK retried twice
        assert entries[2].time - entries[1].time >= 0.9  # ... waiting Retry-After each time
        assert time.monotonic() - start >= 1.8


def test_mid_stream_error(sdk):
    with scenario("mid-stream-error") as server:
        stream = sdk(server).chat.completions.create(
            model="openai/gpt-5-chat", messages=MSG, stream=True, max_tokens=100
        )
        got = []
        with pytest.raises(openai.APIError) as info:
            for chunk in stream:
                got.append(chunk)
        assert type(info.value) is openai.APIError  # the SSE error event itself, not a transport failure
        assert len(got) == 3
        assert "Upstream error from" in info.value.message
        assert server.mock.journal.last.outcome == "mid_stream_error"


def test_stream_stall_trips_a_read_timeout(sdk):
    with scenario("stream-stall") as server:
        server.mock.time_scale = 1.0
        # the SDK's own timeout type (httpx2.Timeout since openai 3; httpx.Timeout before)
        client = sdk(server, max_retries=0, timeout=openai.Timeout(10, read=1.0))
        stream = client.chat.completions.create(
            model="openai/gpt-5-chat", messages=MSG, stream=True, max_tokens=50,
            extra_headers={"X-Mockrouter-Fault": "kind=stall; ms=3000; after=3"})  # fmt: skip
        got = []
        with pytest.raises(openai.APITimeoutError) as info:
            for chunk in stream:
                got.append(chunk)
        assert len(got) == 3
        assert type(info.value.__cause__).__name__ == "ReadTimeout"


def test_disconnect(sdk):
    with scenario("disconnect") as server:
        stream = sdk(server, max_retries=0).chat.completions.create(
            model="openai/gpt-5-chat", messages=MSG, stream=True, max_tokens=50
        )
        got = []
        # openai >= 3.14 wraps a transport error while iterating a stream (before, httpx's own escaped)
        with pytest.raises(openai.APIConnectionError) as info:
            for chunk in stream:
                got.append(chunk)
        cause = info.value.__cause__
        assert type(cause).__name__ == "RemoteProtocolError", repr(cause)  # cut off mid-body
        assert len(got) == 3
        with pytest.raises(openai.APIConnectionError) as info:
            sdk(server, max_retries=0).chat.completions.create(model="openai/gpt-5-chat", messages=MSG)
        cause = info.value.__cause__
        assert type(cause).__name__ == "RemoteProtocolError", repr(cause)
        assert "peer closed connection without sending complete message body" in str(cause)


def test_moderation_flagged(sdk):
    with scenario("moderation-flagged") as server:
        text = "Please write a forbidden-example " + "x" * 300
        with pytest.raises(openai.PermissionDeniedError) as info:
            sdk(server).chat.completions.create(
                model="openai/gpt-4o-mini", messages=[{"role": "user", "content": text}]
            )
        body = info.value.body
        assert (
            body["message"]
            == 'openai/gpt-4o-mini requires moderation on OpenAI. Your input was flagged for "violence". No credits were charged.'
        )
        meta = body["metadata"]
        assert (
            meta["reasons"] == ["violence"]
            and meta["provider_name"] == "OpenAI"
            and meta["model_slug"] == "openai/gpt-4o-mini"
        )
        assert len(meta["flagged_input"]) <= 100


def test_slow_ttft(sdk):
    with scenario("slow-ttft") as server:
        server.mock.time_scale = 0.5  # 3 s scaled to 1.5 s
        start = time.monotonic()
        stream = sdk(server).chat.completions.create(model="openai/gpt-5-chat", messages=MSG, stream=True)
        first = next(iter(stream))
        assert first.id.startswith("gen-")
        assert time.monotonic() - start >= 1.45
