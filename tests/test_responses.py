"""``POST /api/v1/responses`` (OpenRouter's Responses API, beta, stateless): the Response object and its typed
events, over the same planner, simulation, accounting, faults and journal as chat completions."""

from __future__ import annotations

import json

import jsonschema
import pytest

from mockrouter.engine.responses import to_chat
from mockrouter.errors import MockRouterError
from tests.conftest import AUTH, KEY
from tests.contract_check import sse_events

URL = "/api/v1/responses"
MINI = "openai/gpt-5-mini"
WEATHER = {"type": "function", "name": "get_weather", "description": "Current weather in a city",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                          "additionalProperties": False}}  # fmt: skip


def create(client, **body):
    return client.post(URL, json={"model": MINI, **body}, headers=AUTH)


def named_events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        name = next((line[7:] for line in lines if line.startswith("event: ")), None)
        data = next((line[6:] for line in lines if line.startswith("data: ")), None)
        if data is not None:
            out.append((name, json.loads(data)))
    return out


def test_a_response_object_with_output_text_and_cost(client, mock):
    r = create(client, input="What is the capital of France?", instructions="Answer briefly.")
    assert r.status_code == 200
    doc = r.json()
    assert doc["object"] == "response" and doc["status"] == "completed" and doc["model"] == MINI
    assert doc["id"].startswith("gen-") and r.headers["x-generation-id"] == doc["id"]
    message = next(i for i in doc["output"] if i["type"] == "message")
    assert message["role"] == "assistant" and message["content"][0]["type"] == "output_text"
    assert doc["output_text"] == message["content"][0]["text"] != ""
    assert doc["instructions"] == "Answer briefly." and doc["error"] is None
    usage = doc["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] and usage["cost"] > 0
    assert mock.state.key_state(KEY).usage == pytest.approx(usage["cost"])
    gen = client.get("/api/v1/generation", params={"id": doc["id"]}, headers=AUTH).json()["data"]
    assert gen["api_type"] == "completions" and gen["total_cost"] == usage["cost"]  # the schema's enum has no other
    entry = mock.journal.find(path=URL)[-1]
    assert entry.status == 200 and entry.body["input"] == "What is the capital of France?"
    assert entry.generation_id == doc["id"] and entry.cost == usage["cost"]


def test_the_same_seed_gives_the_same_response(client):
    a, b = create(client, input="Tell me about owls").json(), create(client, input="Tell me about owls").json()
    assert a["id"] != b["id"] and {k: v for k, v in a.items() if k not in ("id", "created_at", "completed_at")} == {
        k: v for k, v in b.items() if k not in ("id", "created_at", "completed_at")
    }


def test_a_forced_function_tool_yields_a_function_call_valid_against_its_schema(client):
    r = create(client, input=[{"role": "user", "content": "Weather in Paris?"}], tools=[WEATHER],
               tool_choice={"type": "function", "name": "get_weather"})  # fmt: skip
    calls = [i for i in r.json()["output"] if i["type"] == "function_call"]
    assert len(calls) == 1 and calls[0]["name"] == "get_weather" and calls[0]["call_id"].startswith("call_")
    jsonschema.validate(json.loads(calls[0]["arguments"]), WEATHER["parameters"])


def test_a_function_call_output_gets_a_text_answer(client):
    history = [
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": '{"city": "Paris"}'},
        {"type": "function_call_output", "call_id": "call_1", "output": '{"temp_c": 21}'},
    ]
    doc = create(client, input=history, tools=[WEATHER]).json()
    assert [i["type"] for i in doc["output"]] == ["message"] and doc["output_text"]


def test_text_format_json_schema_yields_a_valid_instance(client):
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
              "required": ["city", "population"], "additionalProperties": False}  # fmt: skip
    doc = create(client, input="Largest city?", text={"format": {"type": "json_schema", "name": "city",
                                                                  "schema": schema, "strict": True}}).json()  # fmt: skip
    jsonschema.validate(json.loads(doc["output_text"]), schema)
    assert doc["text"]["format"]["name"] == "city"


def test_max_output_tokens_makes_an_incomplete_response(client):
    doc = create(client, input="Write a long essay about rivers", max_output_tokens=16).json()
    assert doc["status"] == "incomplete" and doc["incomplete_details"] == {"reason": "max_output_tokens"}


def test_the_stream_sends_the_typed_events_in_order(client):
    r = create(client, input="Hello there", stream=True)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = named_events(r.text)
    names = [n for n, _ in events]
    assert all(n == d["type"] for n, d in events)  # every event named, and the name is its type
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert names[:2] == ["response.created", "response.in_progress"] and names[-1] == "response.completed"
    core = [n for n in names if not n.startswith("response.output_text.delta")]
    assert core[2:] == ["response.output_item.added", "response.content_part.added", "response.output_text.done",
                        "response.content_part.done", "response.output_item.done", "response.completed"]  # fmt: skip
    deltas = "".join(d["delta"] for n, d in events if n == "response.output_text.delta")
    assert deltas == events[-1][1]["response"]["output_text"] and "[DONE]" not in r.text
    assert events[0][1]["response"]["status"] == "in_progress" and events[-1][1]["response"]["usage"]["cost"] > 0


def test_a_streamed_function_call_sends_its_arguments_in_deltas(client):
    r = create(client, input="Weather in Oslo?", tools=[WEATHER], tool_choice="required", stream=True)
    events = named_events(r.text)
    args = "".join(d["delta"] for n, d in events if n == "response.function_call_arguments.delta")
    done = next(d for n, d in events if n == "response.function_call_arguments.done")
    assert args == done["arguments"] and done["name"] == "get_weather"


def test_a_mid_stream_error_ends_with_response_failed(client, mock):
    r = create(client, input="Hello there", stream=True)
    full = len(named_events(r.text))
    r = client.post(URL, json={"model": MINI, "input": "Hello there", "stream": True},
                    headers={**AUTH, "X-Mockrouter-Fault": "kind=mid_stream; after=4"})  # fmt: skip
    events = named_events(r.text)
    assert r.status_code == 200 and len(events) == 5 < full
    name, failed = events[-1]
    assert name == "response.failed" and failed["response"]["status"] == "failed"
    assert failed["response"]["error"]["message"] and mock.journal.last.outcome == "mid_stream_error"


@pytest.mark.parametrize(
    ("fault", "status"), [("status=429; retry-after=3", 429), ("status=402", 402), ("status=503", 503)]
)
def test_faults_answer_as_for_chat(client, fault, status):
    r = client.post(URL, json={"model": MINI, "input": "hi"}, headers={**AUTH, "X-Mockrouter-Fault": fault})
    assert r.status_code == status and r.json()["error"]["code"] == status
    if status == 429:
        assert r.headers["retry-after"] == "3"


def test_credits_byok_and_failover_as_for_chat(client):
    r = client.post(URL, json={"model": "openai/gpt-5", "input": "hi"}, headers=AUTH)
    assert r.status_code == 403 and "requiring a key" in r.json()["error"]["message"]  # the seed: gpt-5 needs BYOK
    client.post("/__mockrouter/faults", json={"kind": "outage", "provider": "OpenAI", "times": 1})
    r = create(client, input="hi", provider={"order": ["openai", "azure"]})
    assert r.status_code == 200 and r.json()["provider"] == "Azure"
    client.put("/__mockrouter/keys", json={"key": KEY, "credits": 0})
    r = create(client, input="hi")
    assert r.status_code == 402 and "can only afford" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [({"input": "hi", "store": True}, "Invalid request: /store"),
     ({"input": "hi", "previous_response_id": "resp_1"}, "Invalid request: /previous_response_id"),
     ({"input": 42}, "Invalid request"), ({"input": "hi", "tool_choice": "sometimes"}, "Invalid request")],
)  # fmt: skip
def test_what_the_stateless_beta_refuses(client, body, message):
    r = create(client, **body)
    assert r.status_code == 400 and message in r.json()["error"]["message"]


def test_the_stateless_beta_refuses_state_even_unvalidated():
    with pytest.raises(MockRouterError, match="store: true is not supported"):
        to_chat({"model": MINI, "input": "hi", "store": True})
    with pytest.raises(MockRouterError, match="previous_response_id is not supported"):
        to_chat({"model": MINI, "input": "hi", "previous_response_id": "resp_1"})


def test_the_request_translates_to_its_chat_form():
    chat = to_chat({"model": MINI, "instructions": "Be brief.", "max_output_tokens": 50, "tools": [WEATHER],
                    "tool_choice": {"type": "function", "name": "get_weather"},
                    "input": [{"role": "developer", "content": [{"type": "input_text", "text": "Style: terse"}]},
                              {"role": "user", "content": [{"type": "input_text", "text": "Hi"},
                                                           {"type": "input_image", "image_url": "https://x/y.png"}]},
                              {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
                              {"type": "function_call_output", "call_id": "c1", "output": "sunny"}],
                    "text": {"format": {"type": "json_object"}}})  # fmt: skip
    assert [m["role"] for m in chat["messages"]] == ["system", "system", "user", "assistant", "tool"]
    assert chat["messages"][2]["content"][1] == {"type": "image_url", "image_url": {"url": "https://x/y.png",
                                                                                    "detail": "auto"}}  # fmt: skip
    assert chat["messages"][3]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert chat["max_tokens"] == 50 and chat["response_format"] == {"type": "json_object"}


def test_stream_events_validate_against_the_event_schema(client):
    r = create(client, input="Hello", stream=True)
    assert sse_events(r.text)  # the response hook validated every event against response-event.json
