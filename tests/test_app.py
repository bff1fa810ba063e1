"""In-process HTTP: every endpoint, every bad input gets OpenRouter's envelope, never a 500.

Every response here is also validated against ``schemas/`` by the response hook (tests/contract_check.py).
"""

from __future__ import annotations

import json
import re

import pytest

from mockrouter import Mock, Settings
from tests.conftest import AUTH, KEY, chat, make_client
from tests.contract_check import sse_events

GEN_ID = re.compile(r"^gen-\d{10}-[A-Za-z0-9]{20}$")


def test_chat_completion_shape(client):
    r = chat(client)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert GEN_ID.match(body["id"])
    assert r.headers["x-generation-id"] == body["id"]
    assert body["object"] == "chat.completion"
    assert body["provider"] in ("OpenAI", "Azure")
    assert body["model"] == "openai/gpt-5-mini"
    choice = body["choices"][0]
    assert choice["finish_reason"] in ("stop", "length")
    assert "native_finish_reason" in choice
    assert choice["message"]["role"] == "assistant" and choice["message"]["refusal"] is None
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["is_byok"] is False and usage["cost"] > 0
    assert set(usage["cost_details"]) >= {"upstream_inference_cost", "upstream_inference_prompt_cost"}
    assert "reasoning_tokens" in usage["completion_tokens_details"]


def test_openrouter_example_with_image_is_not_fetched(client, monkeypatch):
    import socket

    def no_network(*a, **k):
        raise AssertionError("the mock opened a connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    r = chat(client, headers={"HTTP-Referer": "https://example.app", "X-Title": "Example"},
             messages=[{"role": "user", "content": [
                 {"type": "text", "text": "What is in this image?"},
                 {"type": "image_url", "image_url": {"url": "https://example.org/boardwalk.jpg"}}]}])  # fmt: skip
    assert r.status_code == 200
    assert r.json()["usage"]["prompt_tokens"] > 85  # the image is counted


def test_stream_framing(client):
    r = chat(client, stream=True, usage={"include": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.text.startswith(": OPENROUTER PROCESSING\n\n")
    events = sse_events(r.text)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert len({c["id"] for c in chunks}) == 1 and GEN_ID.match(chunks[0]["id"])
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    finishes = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] is not None]
    assert len(finishes) == 1
    assert "usage" in chunks[-1] and chunks.index(finishes[0]) == len(chunks) - 2
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text  # content was streamed
    assert r.headers["x-generation-id"] == chunks[0]["id"]


def test_stream_is_decided_by_body_not_accept(client):
    r = chat(client, headers={"Accept": "application/json"}, stream=True)
    assert r.headers["content-type"].startswith("text/event-stream")
    r = chat(client, headers={"Accept": "text/event-stream"})
    assert r.headers["content-type"] == "application/json"


def test_tool_calls_stream_as_fragments(client):
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip
    r = chat(client, stream=True, tools=[tool], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    chunks = [json.loads(e) for e in sse_events(r.text)[:-1]]
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]
    assert calls[0]["id"] and calls[0]["type"] == "function" and calls[0]["function"]["name"] == "get_weather"
    assert all("id" not in c and "name" not in c["function"] for c in calls[1:])
    args = json.loads("".join(c["function"].get("arguments", "") for c in calls))
    assert isinstance(args["city"], str)
    assert [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"] == "tool_calls"]


def test_visible_reasoning_streams_reasoning(client):
    r = chat(client, model="deepseek/deepseek-r1", stream=True)
    chunks = [json.loads(e) for e in sse_events(r.text)[:-1]]
    reasoning = [c["choices"][0]["delta"].get("reasoning") for c in chunks if c["choices"]]
    assert any(reasoning)
    assert any(c["choices"][0]["delta"].get("reasoning_details") for c in chunks if c["choices"])


def test_legacy_completions(client):
    r = client.post(
        "/api/v1/completions", json={"model": "openai/gpt-5-mini", "prompt": "Once upon a time"}, headers=AUTH
    )
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "text_completion" and body["choices"][0]["text"]
    r = client.post(
        "/api/v1/completions", json={"model": "openai/gpt-5-mini", "prompt": "Hi", "stream": True}, headers=AUTH
    )
    assert sse_events(r.text)[-1] == "[DONE]"


# ---------------------------------------------------------------------------------------------- auth


def test_no_auth_is_401_before_body(client):
    r = client.post("/api/v1/chat/completions", content=b"not json")
    assert r.status_code == 401
    assert r.json() == {"error": {"message": "No cookie auth credentials found", "code": 401,
                                  "metadata": {"error_type": "authentication"}}}  # fmt: skip


def test_launch_profile_401_wording():
    with make_client(Mock(Settings(time_scale=0, profile="launch"))) as c:
        r = c.post("/api/v1/chat/completions", json={})
        assert r.json() == {"error": {"message": "No auth credentials found", "code": 401}}


def test_strict_keys_unknown_key():
    with make_client(Mock(Settings(time_scale=0, strict_keys=True))) as c:
        r = chat(c)
        assert r.status_code == 401 and r.json()["error"]["message"] == "User not found."


def test_key_and_auth_key_alias(client):
    chat(client)
    a, b = client.get("/api/v1/key", headers=AUTH).json(), client.get("/api/v1/auth/key", headers=AUTH).json()
    assert a == b
    assert a["data"]["usage"] > 0
    assert KEY not in json.dumps(a)


def test_credits_needs_management_key_in_current_api(client, mock):
    assert client.get("/api/v1/credits", headers=AUTH).status_code == 403


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{bad json", 400, "Invalid JSON"),
        (b"[1, 2]", 400, "expected a JSON object"),
        (b"\xff\xfe", 400, "UTF-8"),
        (b"{}", 400, 'Input required: specify "prompt" or "messages"'),
        (json.dumps({"model": "openai/gpt-5-mini", "messages": []}).encode(), 400, "Invalid request"),
        (json.dumps({"model": "openai/gpt-5-mini", "messages": "hi"}).encode(), 400, "Invalid request"),
        (
            json.dumps(
                {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "a"}], "temperature": 7}
            ).encode(),
            400,
            "temperature",
        ),
        (
            json.dumps({"model": "acme/fake", "messages": [{"role": "user", "content": "a"}]}).encode(),
            400,
            "acme/fake is not a valid model ID",
        ),
        (
            json.dumps(
                {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "a"}], "provider": {"bogus": 1}}
            ).encode(),
            400,
            "Invalid request",
        ),
        (
            json.dumps(
                {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "a"}], "n": 1000}
            ).encode(),
            400,
            "/n: 1000 is greater than the maximum of 128",
        ),
        (b"[" * 10_000 + b"]" * 10_000, 400, "nested too deeply"),
    ],
)
def test_bad_input_gets_the_envelope(client, body, status, message):
    r = client.post("/api/v1/chat/completions", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == status
    assert message in r.json()["error"]["message"]
    assert chat(client).status_code == 200  # and the server keeps serving


def test_schema_violations_listed_in_metadata(client):
    r = chat(client, temperature=9, top_p=-1)
    violations = r.json()["error"]["metadata"]["violations"]
    assert {v["pointer"] for v in violations} >= {"/temperature", "/top_p"}


def test_unknown_top_level_parameters_are_ignored(client):
    assert chat(client, frobnicate=True, another={"x": 1}).status_code == 200


def test_oversize_body_is_413():
    with make_client(Mock(Settings(time_scale=0, max_body_bytes=1000))) as c:
        r = c.post("/api/v1/chat/completions", content=b"x" * 5000, headers=AUTH)
        assert r.status_code == 413 and r.json()["error"]["message"] == "Request payload too large"


def test_unknown_path_and_wrong_method(client):
    r = client.get("/api/v1/nope", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == 404
    r = client.delete("/api/v1/models")
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_every_request_is_journaled(client, mock):
    client.post("/api/v1/chat/completions", content=b"{bad", headers=AUTH)
    client.get("/nowhere")
    chat(client)
    entries = list(mock.journal)
    assert [e.status for e in entries] == [400, 404, 200]
    assert entries[0].body == "{bad"
    assert all(KEY not in json.dumps(e.as_dict()) for e in entries)


# ------------------------------------------------------------------------------------------- models


def test_models_list_and_filters(client):
    body = client.get("/api/v1/models").json()
    assert body["total_count"] == len(body["data"]) >= 15
    assert body["links"] == {"next": None}
    gpt5 = next(m for m in body["data"] if m["id"] == "openai/gpt-5")
    assert gpt5["context_length"] == 400000 and gpt5["top_provider"]["max_completion_tokens"] == 128000
    assert gpt5["pricing"]["prompt"] == "0.00000125" and gpt5["pricing"]["input_cache_read"] == "0.000000125"
    tools = client.get("/api/v1/models", params={"supported_parameters": "tools"}).json()["data"]
    assert tools and all("tools" in m["supported_parameters"] for m in tools) and len(tools) < len(body["data"])
    prog = client.get("/api/v1/models", params={"category": "programming"}).json()["data"]
    assert 0 < len(prog) < len(body["data"])
    page = client.get("/api/v1/models", params={"offset": 0, "limit": 5}).json()
    assert len(page["data"]) == 5 and page["links"]["next"]


def test_model_endpoints(client):
    body = client.get("/api/v1/models/meta-llama/llama-3.3-70b-instruct/endpoints").json()
    assert len(body["data"]["endpoints"]) >= 3
    assert client.get("/api/v1/models/acme/nothing/endpoints").status_code == 404


def test_providers(client):
    data = client.get("/api/v1/providers").json()["data"]
    assert {"openai", "anthropic"} <= {p["slug"] for p in data}


def test_generation_lookup(client):
    r = chat(client, headers={"HTTP-Referer": "https://example.app", "X-Title": "Example"})
    gen = client.get("/api/v1/generation", params={"id": r.json()["id"]}, headers=AUTH).json()["data"]
    assert gen["id"] == r.json()["id"] and gen["model"] == "openai/gpt-5-mini"
    assert gen["total_cost"] == r.json()["usage"]["cost"]
    assert gen["http_referer"] == "https://example.app" and gen["app_title"] == "Example"
    assert gen["provider_responses"][-1]["status"] == 200
    assert client.get("/api/v1/generation", params={"id": "gen-1-x"}, headers=AUTH).status_code == 404
    assert client.get("/api/v1/generation", headers=AUTH).status_code == 400


# ------------------------------------------------------------------------------------------ profiles


def test_launch_profile_usage_cost_only_when_included():
    with make_client(Mock(Settings(time_scale=0, profile="launch"))) as c:
        plain = chat(c).json()["usage"]
        assert "cost" not in plain and plain["prompt_tokens"] > 0
        included = chat(c, usage={"include": True}).json()["usage"]
        assert included["cost"] > 0 and included["cost_details"] == {"upstream_inference_cost": None}
        stream = sse_events(chat(c, stream=True).text)
        assert not any("usage" in json.loads(e) for e in stream[:-1])
        models = c.get("/api/v1/models").json()
        assert set(models) == {"data"}
        assert c.get("/api/v1/credits", headers=AUTH).status_code == 200


def test_determinism_same_seed_same_body():
    def run():
        with make_client(Mock(Settings(time_scale=0, seed=7, clock=1754612345))) as c:
            return chat(c, n=2).json(), sse_events(chat(c, stream=True).text)

    assert run() == run()
    with make_client(Mock(Settings(time_scale=0, seed=8, clock=1754612345))) as c:
        assert chat(c, n=2).json()["choices"] != run()[0]["choices"]
