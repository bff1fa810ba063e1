"""Fidelity points of issue 12 §2: each compares the mock with what OpenRouter really sends."""

from __future__ import annotations

import json

import pytest

from mockrouter import Settings
from tests.conftest import chat
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
