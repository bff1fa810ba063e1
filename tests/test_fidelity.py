"""Fidelity points of issue 12 §2: each compares the mock with what OpenRouter really sends."""

from __future__ import annotations

import json

import pytest

from mockrouter import Settings
from mockrouter.world import ByokKey
from tests.conftest import KEY, chat
from tests.contract_check import sse_events


def test_modality_is_built_from_text_image_audio_video_only(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["data"]}
    gpt5 = models["openai/gpt-5"]["architecture"]
    assert gpt5["modality"] == "text+image->text"
    assert "file" in gpt5["input_modalities"]
    endpoints = client.get("/api/v1/models/openai/gpt-5/endpoints").json()["data"]["architecture"]
    assert endpoints["modality"] == "text+image->text"
    for model in models.values():
        inputs, outputs = model["architecture"]["modality"].split("->")
        assert set(inputs.split("+")) | set(outputs.split("+")) <= {"text", "image", "audio", "video"}, model["id"]


def _chunks(response) -> list[dict]:
    return [json.loads(d) for d in sse_events(response.text) if d != "[DONE]"]


@pytest.mark.parametrize("settings", [Settings(time_scale=0, seed=0, profile="launch")])
def test_launch_stream_chunks_carry_a_null_system_fingerprint(client):
    chunks = _chunks(chat(client, stream=True, model="openai/gpt-4o-mini"))
    content = [c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert content and finish
    for chunk in content + finish:
        assert "system_fingerprint" in chunk and chunk["system_fingerprint"] is None


def test_current_stream_chunks_omit_system_fingerprint(client):
    chunks = _chunks(chat(client, stream=True, model="openai/gpt-4o-mini"))
    assert chunks and all("system_fingerprint" not in c for c in chunks)


def _reasoning(client, model: str, **body) -> tuple[str | None, int]:
    r = chat(client, model=model, **body)
    assert r.status_code == 200, r.text
    doc = r.json()
    return doc["choices"][0]["message"].get("reasoning"), doc["usage"]["completion_tokens_details"]["reasoning_tokens"]


def test_reasoning_follows_the_catalogue_reasoning_block(client):
    models = {m["id"]: m for m in client.get("/api/v1/models").json()["data"]}
    assert models["anthropic/claude-sonnet-4.5"]["reasoning"] | {"supported_efforts": None} == {
        "mandatory": False, "default_enabled": False, "default_effort": "medium", "supported_efforts": None}
    assert models["openai/gpt-5-mini"]["reasoning"]["mandatory"] is True
    assert models["google/gemini-2.5-flash"]["reasoning"] | {"supported_efforts": None} == {
        "mandatory": False, "default_enabled": True, "default_effort": "medium", "supported_efforts": None}
    # opt-in (Claude): no reasoning unless asked
    assert _reasoning(client, "anthropic/claude-sonnet-4.5") == (None, 0)
    text, tokens = _reasoning(client, "anthropic/claude-sonnet-4.5", reasoning={"effort": "low"})
    assert text and tokens > 0
    text, tokens = _reasoning(client, "anthropic/claude-sonnet-4.5", include_reasoning=True)
    assert text and tokens > 0
    # mandatory, hidden (GPT-5): reasoning tokens billed, no text, even when asked to turn it off
    for body in ({}, {"reasoning": {"enabled": False}}):
        text, tokens = _reasoning(client, "openai/gpt-5-mini", **body)
        assert text is None and tokens > 0
    # enabled by default but optional (Gemini 2.5 Flash): on unasked, off when turned off
    text, tokens = _reasoning(client, "google/gemini-2.5-flash")
    assert text and tokens > 0
    assert _reasoning(client, "google/gemini-2.5-flash", reasoning={"enabled": False}) == (None, 0)


def test_logprobs_are_openai_shaped_where_the_endpoint_lists_them(client):
    body = {"model": "openai/gpt-4o-mini", "logprobs": True, "top_logprobs": 3}
    r = chat(client, **body)
    assert r.status_code == 200, r.text
    choice = r.json()["choices"][0]
    content = choice["logprobs"]["content"]
    assert choice["logprobs"]["refusal"] is None
    assert "".join(e["token"] for e in content) == choice["message"]["content"]
    for e in content:
        assert e["logprob"] <= 0 and e["bytes"] == list(e["token"].encode())
        assert len(e["top_logprobs"]) == 3 and e["top_logprobs"][0]["token"] == e["token"]
        values = [t["logprob"] for t in e["top_logprobs"]]
        assert values == sorted(values, reverse=True) and values[0] == e["logprob"]
    # the stream sends the same entries, spread over its content chunks
    chunks = _chunks(chat(client, stream=True, **body))
    streamed = [e for c in chunks if c["choices"] and c["choices"][0]["logprobs"] for e in
                c["choices"][0]["logprobs"]["content"]]  # fmt: skip
    assert streamed == content
    # without top_logprobs: the chosen tokens only
    plain = chat(client, model="openai/gpt-4o-mini", logprobs=True).json()["choices"][0]["logprobs"]["content"]
    assert plain and all(e["top_logprobs"] == [] for e in plain)


def test_logprobs_are_ignored_where_unsupported_unless_required(client):
    r = chat(client, model="openai/gpt-5-mini", logprobs=True, top_logprobs=2)
    assert r.status_code == 200 and r.json()["choices"][0]["logprobs"] is None
    strict = chat(client, model="openai/gpt-5-mini", logprobs=True, provider={"require_parameters": True})
    assert strict.status_code == 404
    assert chat(client, model="openai/gpt-4o-mini").json()["choices"][0]["logprobs"] is None


def test_byok_provider_outside_a_strict_order_is_never_used(client, mock):
    """The issue's case: a BYOK key for Fireworks, provider order groq then cerebras without fallbacks."""
    mock.state.set_byok(mock.state.key_state(KEY).account.id, {"fireworks": ByokKey()})
    order = {"order": ["groq", "cerebras"], "allow_fallbacks": False}
    r = chat(client, model="openai/gpt-oss-120b", provider=order)
    assert r.status_code == 200, r.text
    assert r.json()["provider"] == "Groq" and r.json()["usage"]["is_byok"] is False
    # within the order, the BYOK provider does move first
    r = chat(client, model="openai/gpt-oss-120b", provider={**order, "order": ["groq", "fireworks"]})
    assert r.json()["provider"] == "Fireworks" and r.json()["usage"]["is_byok"] is True
