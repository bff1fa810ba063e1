"""``POST /api/v1/embeddings`` and ``GET /api/v1/embeddings/models``: deterministic unit vectors from a hashed bag of
words, planned, simulated, charged and journaled by the same flow as a completion."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from mockrouter.engine.embeddings import embed, inputs, prompt_tokens
from tests.conftest import AUTH, KEY

URL = "/api/v1/embeddings"
SMALL, LARGE = "openai/text-embedding-3-small", "openai/text-embedding-3-large"


def cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def vectors(client, **body):
    r = client.post(URL, json={"model": SMALL, **body}, headers=AUTH)
    assert r.status_code == 200, r.text
    return [d["embedding"] for d in r.json()["data"]], r


def test_vectors_are_unit_length_and_follow_the_words(client):
    (cat, kitten, physics, cat_again), r = vectors(
        client, input=["the cat sat on the mat", "the cat sat", "quantum field theory", "the cat sat on the mat"]
    )
    assert len(cat) == 1536 and [d["index"] for d in r.json()["data"]] == [0, 1, 2, 3]
    assert all(math.isclose(cos(v, v), 1.0, abs_tol=1e-6) for v in (cat, kitten, physics))
    assert cat == cat_again  # identical texts embed identically
    assert cos(cat, kitten) > cos(cat, physics) + 0.3  # shared words: closer than unrelated text


def test_the_seed_decides_the_vectors(client, mock):
    (first,), _ = vectors(client, input="hello world")
    mock.seed = 7
    (other,), _ = vectors(client, input="hello world")
    mock.seed = 0
    (again,), _ = vectors(client, input="hello world")
    assert first == again != other


def test_dimensions_and_base64(client):
    r = client.post(URL, json={"model": LARGE, "input": "hi there", "dimensions": 256, "encoding_format": "base64"},
                     headers=AUTH)  # fmt: skip
    assert r.status_code == 200
    raw = base64.b64decode(r.json()["data"][0]["embedding"])
    floats = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert len(floats) == 256 and math.isclose(math.sqrt(sum(x * x for x in floats)), 1.0, abs_tol=1e-5)
    assert len(embed(LARGE, ["hi", "there"], 0, 3072)) == 3072


def test_dimensions_beyond_the_model_are_a_400_and_integral_floats_count(client):
    r = client.post(URL, json={"model": SMALL, "input": "x", "dimensions": 2048}, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["message"] == f"dimensions must be at most 1536 for {SMALL}"
    r = client.post(URL, json={"model": SMALL, "input": "x", "dimensions": 8.0}, headers=AUTH)
    assert r.status_code == 200 and len(r.json()["data"][0]["embedding"]) == 8


def test_token_arrays_and_multimodal_inputs(client):
    (one, two), r = vectors(client, input=[[1, 2, 3], [4, 5]])
    assert r.json()["usage"]["prompt_tokens"] == 5 and one != two
    (single,), _ = vectors(client, input=[1, 2, 3])
    assert single == one
    (mixed,), r = vectors(client, input=[{"content": [{"type": "text", "text": "a red bus"},
                                                      {"type": "image_url", "image_url": {"url": "https://x/bus.png"}}]}])  # fmt: skip
    assert len(mixed) == 1536 and r.json()["usage"]["prompt_tokens"] > 1
    assert inputs({"input": "Hello, World"}) == [["hello", "world"]]
    assert prompt_tokens({"input": ["abcd" * 10, "ab"]}) == 10 + 1


def test_usage_cost_journal_and_generation(client, mock):
    _, r = vectors(client, input="what is a vector")
    body = r.json()
    usage = body["usage"]
    assert usage["prompt_tokens"] == usage["total_tokens"] == 4
    assert usage["cost"] == pytest.approx(4 * 0.00000002) and usage["is_byok"] is False
    assert r.headers["x-generation-id"] == body["id"] and body["id"].startswith("gen-")
    entry = mock.journal.last
    assert entry.path == URL and entry.status == 200 and entry.model == SMALL and entry.generation_id == body["id"]
    assert entry.cost == usage["cost"] and entry.provider == body["provider"]
    gen = client.get("/api/v1/generation", params={"id": body["id"]}, headers=AUTH).json()["data"]
    assert gen["api_type"] == "embeddings" and gen["tokens_prompt"] == 4 and gen["total_cost"] == usage["cost"]
    assert mock.state.key_state(KEY).usage == pytest.approx(usage["cost"])


def test_a_repeated_request_is_charged_again_with_a_new_id(client, mock):
    (a,), first = vectors(client, input="same text")
    (b,), second = vectors(client, input="same text")
    assert a == b and first.json()["id"] != second.json()["id"]
    assert mock.state.key_state(KEY).usage == pytest.approx(2 * first.json()["usage"]["cost"])
    assert len(mock.journal.find(path=URL)) == 2


def test_routing_faults_and_credits_as_for_chat(client):
    r = client.post(URL, json={"model": SMALL, "input": "x"}, headers={**AUTH, "X-Mockrouter-Fault": "status=429; retry-after=2"})
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    # the first provider down: another one serves, and the attempts say so
    client.post("/__mockrouter/faults", json={"kind": "outage", "provider": "OpenAI", "times": 1})
    r = client.post(URL, json={"model": SMALL, "input": "x", "provider": {"order": ["openai", "azure"]}}, headers=AUTH)
    assert r.status_code == 200 and r.json()["provider"] == "Azure"
    r = client.post(URL, json={"model": SMALL, "input": "x", "provider": {"only": ["openai"], "allow_fallbacks": False}},
                    headers=AUTH)  # fmt: skip
    assert r.status_code == 200 and r.json()["provider"] == "OpenAI"
    client.put("/__mockrouter/keys", json={"key": KEY, "credits": 0})
    r = client.post(URL, json={"model": SMALL, "input": "x"}, headers=AUTH)
    assert r.status_code == 402 and "can only afford" in r.json()["error"]["message"]


def test_the_operation_and_the_model_must_agree(client):
    r = client.post(URL, json={"model": "openai/gpt-5-mini", "input": "hi"}, headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["message"] == "No endpoints found for openai/gpt-5-mini."
    r = client.post("/api/v1/chat/completions", json={"model": SMALL, "messages": [{"role": "user", "content": "hi"}]},
                    headers=AUTH)  # fmt: skip
    assert r.status_code == 404 and SMALL in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [{"model": SMALL}, {"input": "x"}, {"model": SMALL, "input": []}, {"model": SMALL, "input": "x", "dimensions": 0},
     {"model": SMALL, "input": "x", "encoding_format": "int8"}, {"model": SMALL, "input": [{"nope": 1}]}],
)  # fmt: skip
def test_invalid_requests_get_400_with_a_pointer(client, body):
    r = client.post(URL, json=body, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("Invalid request")
    assert client.post(URL, json={"model": SMALL, "input": "fine"}, headers=AUTH).status_code == 200


def test_no_key_is_a_401(client):
    assert client.post(URL, json={"model": SMALL, "input": "x"}).status_code == 401


def test_the_embedding_models_are_listed_apart(client):
    listed = client.get("/api/v1/embeddings/models").json()
    assert {m["id"] for m in listed["data"]} == {SMALL, LARGE}
    assert all(m["architecture"]["output_modalities"] == ["embeddings"] for m in listed["data"])
    text_models = {m["id"] for m in client.get("/api/v1/models").json()["data"]}
    assert SMALL not in text_models  # /models lists text models unless asked for others
    every = client.get("/api/v1/models", params={"output_modalities": "embeddings"}).json()["data"]
    assert {m["id"] for m in every} == {SMALL, LARGE}


def test_the_launch_profile_had_no_embeddings():
    from starlette.testclient import TestClient

    from mockrouter import Mock, Settings, create_app

    with TestClient(create_app(mock=Mock(Settings(time_scale=0, profile="launch")))) as client:
        assert client.post(URL, json={"model": SMALL, "input": "x"}, headers=AUTH).status_code == 404
        assert client.get("/api/v1/embeddings/models").status_code == 404
        assert SMALL not in {m["id"] for m in client.get("/api/v1/models").json()["data"]}


def test_the_contract_runner_knows_the_engine_s_vector_sizes():
    from mockrouter.contract.defaults import EMBEDDING_MODELS
    from mockrouter.engine.embeddings import NATIVE_DIMENSIONS

    assert EMBEDDING_MODELS == NATIVE_DIMENSIONS


def test_a_byok_required_embedding_model_is_a_403_without_the_key_and_byok_with_it():
    from starlette.testclient import TestClient

    from mockrouter import Mock, Settings, create_app
    from mockrouter.fixtures import default_paths, world_from
    from mockrouter.world import ByokKey

    needs = "OpenAI is requiring a key to access this model, which you can add in https://openrouter.ai/settings/integrations"
    world = world_from({"models": [{"id": LARGE, "byok_required": needs}]}, base=default_paths())
    mock = Mock(Settings(time_scale=0), world=world)
    with TestClient(create_app(mock=mock)) as client:
        r = client.post(URL, json={"model": LARGE, "input": "x"}, headers=AUTH)
        assert r.status_code == 403 and r.json()["error"]["message"] == needs
        mock.state.set_byok(mock.state.key_state(KEY).account.id, {"openai": ByokKey()})
        r = client.post(URL, json={"model": LARGE, "input": "x"}, headers=AUTH)
        assert r.status_code == 200 and r.json()["usage"]["is_byok"] is True
