"""Fidelity points of issue 12 §2: each compares the mock with what OpenRouter really sends."""

from __future__ import annotations


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
