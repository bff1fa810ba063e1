"""``GET /api/v1/models/count``: what ``/models`` would list for the same ``output_modalities``, as
``{"data": {"count": N}}`` (the openrouter SDK's ``ModelsCountResponse``)."""

from __future__ import annotations

import pytest

from mockrouter.world import World

# ``client``: tests/conftest.py's in-process client, every response checked against its declaration


@pytest.mark.parametrize("modalities", [None, "text", "image", "all", "text,image", "audio"])
def test_the_count_is_the_length_of_the_list(client, modalities):
    params = {"output_modalities": modalities} if modalities else {}
    listed = client.get("/api/v1/models", params=params).json()["data"]
    counted = client.get("/api/v1/models/count", params=params)
    assert counted.status_code == 200
    assert counted.json() == {"data": {"count": len(listed)}}


def test_the_default_counts_text_models_and_all_counts_every_model(client):
    world: World = client.app.state.mock.world
    assert world.models
    text = sum(1 for m in world.models.values() if "text" in m.output_modalities)
    assert client.get("/api/v1/models/count").json()["data"]["count"] == text
    assert client.get("/api/v1/models/count?output_modalities=all").json()["data"]["count"] == len(world.models)


def test_no_key_needed_and_other_methods_refused(client):
    assert client.get("/api/v1/models/count").status_code == 200
    r = client.post("/api/v1/models/count")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
