"""The Responses API through real clients over a socket: the official ``openai`` SDK (``responses.create``, streams,
forced function tools, ``text.format`` json_schema, ``responses.parse`` with a pydantic model), the ``openrouter``
SDK's ``responses.send``, and the OpenAI Agents SDK running an agent with one tool on its default (Responses)
model class."""

from __future__ import annotations

import asyncio
import json

import httpx
import openai
import pytest
from pydantic import BaseModel

from tests.conftest import KEY
from tests.contract_check import check_response

pytestmark = pytest.mark.socket

MINI = "openai/gpt-5-mini"
WEATHER = {"type": "function", "name": "get_weather", "description": "Current weather in a city", "strict": True,
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
                          "additionalProperties": False}}  # fmt: skip


def test_create_returns_output_text_and_usage(live, sdk):
    res = sdk(live).responses.create(model=MINI, input="Name a river.", instructions="One sentence.")
    assert res.status == "completed" and res.output_text and res.id.startswith("gen-")
    assert res.usage is not None and res.usage.total_tokens == res.usage.input_tokens + res.usage.output_tokens
    assert res.usage.model_extra["cost"] > 0


def test_stream_events_in_order(live, sdk):
    with sdk(live).responses.create(model=MINI, input="Say hello", stream=True) as stream:
        events = list(stream)
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text and text == events[-1].response.output_text
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_forced_function_tool(live, sdk):
    res = sdk(live).responses.create(model=MINI, input="Weather in Paris?", tools=[WEATHER],
                                     tool_choice={"type": "function", "name": "get_weather"})  # fmt: skip
    call = next(o for o in res.output if o.type == "function_call")
    assert call.name == "get_weather" and isinstance(json.loads(call.arguments)["city"], str)


class City(BaseModel):
    name: str
    population: int


def test_json_schema_and_parse_with_a_pydantic_model(live, sdk):
    client = sdk(live)
    schema = City.model_json_schema() | {"additionalProperties": False}
    res = client.responses.create(model=MINI, input="Largest city?",
                                  text={"format": {"type": "json_schema", "name": "city", "schema": schema}})  # fmt: skip
    City.model_validate_json(res.output_text)
    parsed = client.responses.parse(model=MINI, input="Largest city?", text_format=City)
    assert isinstance(parsed.output_parsed, City)


def test_mid_stream_error_reaches_the_sdk(live, sdk):
    stream = sdk(live, max_retries=0).responses.create(
        model=MINI, input="Say hello", stream=True, extra_headers={"X-Mockrouter-Fault": "kind=mid_stream; after=4"}
    )
    with stream:
        events = list(stream)
    assert events[-1].type == "response.failed" and events[-1].response.status == "failed"
    assert len(events) == 5


def test_openrouter_sdk_responses_send(live):
    from openrouter import OpenRouter

    with httpx.Client(event_hooks={"response": [check_response]}) as hooked:
        with OpenRouter(api_key=KEY, server_url=live.base_url, client=hooked) as c:
            res = c.beta.responses.send(model=MINI, input="Name a mountain.")
    assert res.status == "completed" and res.output and res.usage.total_tokens > 0


def test_an_openai_agent_with_one_tool(live):
    from agents import Agent, ModelSettings, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)  # offline: no trace export
    calls: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """Current weather in a city."""
        calls.append(city)
        return f"Sunny and 21 C in {city}"

    async def main() -> str:
        async with openai.AsyncOpenAI(base_url=live.base_url, api_key=KEY) as client:
            agent = Agent(
                name="weather",
                instructions="Use the tool, then answer in one sentence.",
                tools=[get_weather],
                model=OpenAIResponsesModel(model=MINI, openai_client=client),
                model_settings=ModelSettings(tool_choice="required"),
            )
            result = await Runner.run(agent, "What is the weather in Paris?", max_turns=4)
            return str(result.final_output)

    final = asyncio.run(main())
    assert len(calls) == 1 and final
    entries = live.mock.journal.find(path="/api/v1/responses")
    assert len(entries) == 2 and all(e.status == 200 for e in entries)
    assert entries[1].body["input"][-1]["type"] == "function_call_output"
