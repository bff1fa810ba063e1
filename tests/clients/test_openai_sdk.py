"""The official openai SDK over a real socket to uvicorn: sync, async and streaming."""

from __future__ import annotations

import asyncio

import httpx
import openai
import pytest

from tests.conftest import KEY
from tests.contract_check import assert_valid, check_response

pytestmark = pytest.mark.socket  # the SDK against the session's live server


def test_openrouter_published_example(live, sdk):
    client = sdk(live)
    completion = client.chat.completions.create(
        extra_headers={"HTTP-Referer": "https://example.app", "X-Title": "Example"},
        model="openai/gpt-5-mini",
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": {"url": "https://example.org/boardwalk.jpg"}}]}],
    )  # fmt: skip
    assert completion.choices[0].message.content
    assert completion.model == "openai/gpt-5-mini"
    assert completion.id.startswith("gen-")
    assert completion.model_extra["provider"] in ("OpenAI", "Azure")
    entry = live.mock.journal.last
    assert entry.header("x-title") == "Example" and entry.status == 200


def test_streaming_sync(live, sdk):
    client = sdk(live)
    stream = client.chat.completions.create(
        model="openai/gpt-5-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    chunks = list(stream)
    for chunk in chunks:
        assert_valid("chat-completion-chunk.json", chunk.model_dump(exclude_unset=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["stop"] or any(
        c.choices and c.choices[0].finish_reason == "length" for c in chunks
    )


def test_async_client_and_stream(live):
    async def go():
        client = openai.AsyncOpenAI(
            base_url=live.base_url, api_key=KEY, http_client=httpx.AsyncClient(event_hooks={"response": [acheck]})
        )
        done = await client.chat.completions.create(
            model="openai/gpt-5-nano", messages=[{"role": "user", "content": "Hi"}]
        )
        stream = await client.chat.completions.create(
            model="openai/gpt-5-nano", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        parts = [c async for c in stream]
        await client.close()
        return done, parts

    done, parts = asyncio.run(go())
    assert done.choices[0].message.content
    assert parts[0].id == parts[-1].id


async def acheck(response: httpx.Response) -> None:
    if response.headers.get("content-type", "").startswith("application/json"):
        await response.aread()
        check_response(response)


def test_tools_and_json_schema(live, sdk):
    client = sdk(live)
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {
        "type": "object", "properties": {"q": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}, "required": ["q", "n"]}}}]  # fmt: skip
    r = client.chat.completions.create(
        model="openai/gpt-5-mini", messages=[{"role": "user", "content": "find"}], tools=tools, tool_choice="required"
    )
    call = r.choices[0].message.tool_calls[0]
    assert call.function.name == "lookup" and r.choices[0].finish_reason == "tool_calls"
    import json

    args = json.loads(call.function.arguments)
    assert isinstance(args["q"], str) and args["n"] >= 1
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "temp": {"type": "number"}},
        "required": ["city", "temp"],
        "additionalProperties": False,
    }
    r = client.chat.completions.create(model="openai/gpt-5-mini", messages=[{"role": "user", "content": "w"}],
                                       response_format={"type": "json_schema", "json_schema": {"name": "w", "schema": schema, "strict": True}})  # fmt: skip
    import jsonschema

    jsonschema.validate(json.loads(r.choices[0].message.content), schema)


def test_errors_surface_as_sdk_exceptions(live, sdk):
    client = sdk(live, max_retries=0)
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="acme/fake", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 400 and "acme/fake is not a valid model ID" in str(info.value)
    with pytest.raises(openai.AuthenticationError):
        sdk(live, default_headers={"Authorization": ""}, max_retries=0).chat.completions.create(
            model="openai/gpt-5-mini", messages=[{"role": "user", "content": "x"}])  # fmt: skip
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client.chat.completions.create(model="openai/gpt-5", messages=[{"role": "user", "content": "x"}])
    assert denied.value.body["message"].startswith("OpenAI is requiring a key to access this model")


def test_models_list(live, sdk):
    models = sdk(live).models.list()
    ids = {m.id for m in models}
    assert {"openai/gpt-5", "openai/gpt-5-mini", "openai/gpt-5-nano", "openai/gpt-5-chat"} <= ids


def test_embeddings_float_base64_and_dimensions(live, sdk):
    client = sdk(live)
    res = client.embeddings.create(model="openai/text-embedding-3-small", input=["a cat", "a cat", "tax law"])
    assert [len(d.embedding) for d in res.data] == [1536, 1536, 1536]
    assert res.data[0].embedding == res.data[1].embedding != res.data[2].embedding
    assert res.usage.prompt_tokens == res.usage.total_tokens > 0
    short = client.embeddings.create(model="openai/text-embedding-3-large", input="a cat", dimensions=64)
    assert len(short.data[0].embedding) == 64
    b64 = client.embeddings.create(model="openai/text-embedding-3-small", input="a cat", encoding_format="base64")
    assert isinstance(b64.data[0].embedding, str) and len(b64.data[0].embedding) == 8192  # 1536 float32s, base64
