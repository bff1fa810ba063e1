"""``GET /models/user`` (the models the caller's account may use), ``GET /model/{author}/{slug}``,
``GET /endpoints/zdr`` and ``GET /generation/content``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockrouter import Mock, Settings
from mockrouter.world import World
from tests.conftest import AUTH, chat, make_client

PRIVATE = "sk-or-v1-" + "a1b2c3d4e5f60718" * 4
ZDR = "sk-or-v1-" + "0f1e2d3c4b5a6978" * 4


@pytest.fixture
def policies(tmp_path) -> Iterator:
    """A world with an account that denies data collection and one that wants ZDR only."""
    path = tmp_path / "accounts.yaml"
    path.write_text(
        "accounts:\n  - {id: private, data_collection: deny}\n  - {id: zdr-only, zdr: true}\n"
        f"keys:\n  - {{key: {PRIVATE}, account: private}}\n  - {{key: {ZDR}, account: zdr-only}}\n"
    )
    with make_client(Mock(Settings(time_scale=0, seed=0, fixtures=(str(path),)))) as c:
        yield c


def _ids(client, key: str, **params) -> list[str]:
    r = client.get("/api/v1/models/user", params={"output_modalities": "all", **params},
                   headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert r.status_code == 200
    return [m["id"] for m in r.json()["data"]]


def test_models_user_needs_a_key_and_lists_the_catalogue_without_policies(client):
    r = client.get("/api/v1/models/user")
    assert r.status_code == 401
    every = client.get("/api/v1/models", params={"output_modalities": "all"}).json()
    mine = client.get("/api/v1/models/user", params={"output_modalities": "all"}, headers=AUTH).json()
    assert mine == every
    text = client.get("/api/v1/models/user", params={"offset": 1, "limit": 2}, headers=AUTH).json()
    assert len(text["data"]) == 2 and text["total_count"] == client.get("/api/v1/models/count").json()["data"]["count"]


def test_models_user_honours_the_accounts_privacy_settings(policies):
    world: World = policies.app.state.mock.world
    deny = world.accounts["private"]
    assert deny.data_collection == "deny" and world.accounts["zdr-only"].zdr is True
    private, zdr_only, every = _ids(policies, PRIVATE), _ids(policies, ZDR), sorted(world.models)
    assert sorted(private) == sorted(m.id for m in world.models.values() if any(deny.allows(e) for e in m.endpoints))
    assert sorted(zdr_only) == sorted(m.id for m in world.models.values() if any(e.data_policy.zdr for e in m.endpoints))
    trains = [m.id for m in world.models.values() if all(e.data_policy.training for e in m.endpoints)]
    assert trains and not set(trains) & set(private)  # the :free models on a provider that trains
    assert len(private) < len(every) and len(zdr_only) < len(every)


def test_get_model_is_the_listed_object(client):
    listed = {m["id"]: m for m in client.get("/api/v1/models", params={"output_modalities": "all"}).json()["data"]}
    r = client.get("/api/v1/model/openai/gpt-5")
    assert r.status_code == 200 and r.json() == {"data": listed["openai/gpt-5"]}
    assert client.get("/api/v1/model/openai/gpt-5:nitro").json()["data"]["id"] == "openai/gpt-5"
    r = client.get("/api/v1/model/openai/no-such-model")
    assert r.status_code == 404 and r.json()["error"]["message"] == "No model found with id openai/no-such-model"


def test_zdr_endpoints_are_exactly_the_worlds(client):
    world: World = client.app.state.mock.world
    want = [(m.canonical_slug, e.tag) for m in sorted(world.models.values(), key=lambda m: m.id)
            for e in m.endpoints if e.data_policy.zdr]  # fmt: skip
    r = client.get("/api/v1/endpoints/zdr")
    assert r.status_code == 200
    got = [(e["model_id"], e["tag"]) for e in r.json()["data"]]
    assert got == want and got
    assert all(e["provider_name"] != "OpenAI" for e in r.json()["data"])  # OpenAI retains prompts


def test_generation_content_is_what_was_asked_and_answered(client):
    r = chat(client, messages=[{"role": "user", "content": "What is the meaning of life?"}])
    body = r.json()
    got = client.get("/api/v1/generation/content", params={"id": body["id"]}, headers=AUTH)
    assert got.status_code == 200
    data = got.json()["data"]
    assert data["input"] == {"messages": [{"role": "user", "content": "What is the meaning of life?"}]}
    assert data["output"]["completion"] == body["choices"][0]["message"]["content"]
    assert data["output"]["reasoning"] == body["choices"][0]["message"]["reasoning"]
    assert data["error"] is None
    again = chat(client, messages=[{"role": "user", "content": "What is the meaning of life?"}]).json()  # replayed
    assert client.get("/api/v1/generation/content", params={"id": again["id"]}, headers=AUTH).json()["data"] == data


def test_generation_content_of_a_legacy_prompt_and_of_others(client):
    r = client.post("/api/v1/completions", json={"model": "openai/gpt-5-mini", "prompt": "Once upon"}, headers=AUTH)
    gen = r.json()["id"]
    data = client.get("/api/v1/generation/content", params={"id": gen}, headers=AUTH).json()["data"]
    assert data["input"] == {"prompt": "Once upon"} and data["output"]["completion"] == r.json()["choices"][0]["text"]
    other = {"Authorization": "Bearer sk-or-v1-" + "9" * 64}
    assert client.get("/api/v1/generation/content", params={"id": gen}, headers=other).status_code == 404
    assert client.get("/api/v1/generation/content", params={"id": "gen-none"}, headers=AUTH).status_code == 404
    assert client.get("/api/v1/generation/content", headers=AUTH).status_code == 400
