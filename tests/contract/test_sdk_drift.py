"""Drift against the newest `openrouter` Python SDK: its pydantic models are OpenRouter's newest wire format.

For every operation both the SDK and the mock serve (the SDK's operations are read from the SDK itself,
``tests/contract/sdk_surface.py``, and matched to ``schemas/operations.yaml`` by method and path), the mock is
called through the SDK over a socket and every raw JSON document it sent (each stream event too) is validated
against the SDK's 200 model, strictly: a missing required field or a wrong type fails, and so does a value the
SDK's open enums only accept as ``UnrecognizedStr``/``UnrecognizedInt``. A newer SDK therefore surfaces drift on
its own: a newly shared operation without arguments below fails ``test_every_shared_operation_is_called``.

``test_mock_matches_the_typescript_sdk`` does the same with ``@openrouter/sdk`` (pinned in tests/node/package.json,
installed by ``make node-sdk``): tests/node/sdk_drift.mjs lists its operations and parses the mock's raw answers
with its zod schemas, unknown enum values counted as failures too.

The SDK is newer than the shared OpenAPI document (``test_upstream_drift.py``): where the two disagree the SDK
wins and the upstream check lists the deviation with its reason in its ``DEVIATIONS``. With SDK 1.3.84 they do
not disagree on anything the mock sends (the endpoint fields the SDK now requires, ``native_tools``,
``service_tier``, ``supports_diarization`` and ``supports_tool_choice``, are extra properties to the document).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from openrouter import OpenRouter
from openrouter.types.basemodel import UnrecognizedInt, UnrecognizedStr
from openrouter.utils.retries import BackoffStrategy, RetryConfig

from mockrouter.contract import schemas as contract
from mockrouter.contract.operations import Operation, Surface, operations
from tests.conftest import KEY
from tests.contract.sdk_surface import SdkMethod, sdk_methods
from tests.contract_check import check_response, sse_events

NO_RETRY = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)

#: How to call each shared operation (by the mock's operationId): keyword arguments for the SDK method.
#: A shared operation missing here fails the test that lists them, so that a new one is never skipped silently.
CALLS: dict[str, list[dict[str, Any]]] = {
    "createChatCompletion": [
        {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello"}]},
        {"model": "openai/gpt-5-mini", "messages": [{"role": "user", "content": "Hello"}], "stream": True},
        {"model": "anthropic/claude-sonnet-4.5", "messages": [{"role": "user", "content": "Hello"}],
         "reasoning": {"effort": "low"}},
        {"model": "anthropic/claude-sonnet-4.5", "messages": [{"role": "user", "content": "Hello"}],
         "reasoning": {"effort": "low"}, "stream": True},
        {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Weather in Paris?"}],
         "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}],
         "tool_choice": "required"},
        {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], "logprobs": True,
         "top_logprobs": 2},
        {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], "logprobs": True,
         "top_logprobs": 2, "stream": True},
    ],
    "listModels": [{}],
    "countModels": [{}],
    "listModelEndpoints": [
        {"author": "openai", "slug": "gpt-5-mini"},
        {"author": "anthropic", "slug": "claude-sonnet-4.5"},
        {"author": "meta-llama", "slug": "llama-3.3-70b-instruct"},
    ],
    "listProviders": [{}],
    "getGeneration": [{"id": "<generation>"}],
    "getKey": [{}],
    "getCredits": [{}],
    "getGenerationContent": [{"id": "<generation>"}],
    "getModel": [{"author": "openai", "slug": "gpt-5"}, {"author": "anthropic", "slug": "claude-sonnet-4.5"}],
    "listModelsUser": [{"security": {"bearer": KEY}}],
    "listEndpointsZdr": [{}],
    "createResponse": [
        {"model": "openai/gpt-5-mini", "input": "Hello"},
        {"model": "openai/gpt-5-mini", "input": "Hello", "stream": True},
        {"model": "openai/gpt-4o-mini", "input": [{"role": "user", "content": "Weather in Paris?"}],
         "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object"}}],
         "tool_choice": "required"},
    ],
    "createEmbeddings": [
        {"model": "openai/text-embedding-3-small", "input": ["Hello", "World"]},
        {"model": "openai/text-embedding-3-large", "input": "Hello", "encoding_format": "base64", "dimensions": 8},
    ],
    "listEmbeddingsModels": [{}],
    "listKeys": [{}],
    "createKey": [{"name": "drift", "limit": 1.5, "limit_reset": "weekly"}],
    "getKeyByHash": [{"hash": "<created>"}],
    "updateKeyByHash": [{"hash": "<created>", "name": "renamed", "disabled": True}],
    "deleteKeyByHash": [{"hash": "<created>"}],
}  # fmt: skip
#: Operations only a management key may call (today's API).
MANAGEMENT = {"getCredits", "listKeys", "createKey", "getKeyByHash", "updateKeyByHash", "deleteKeyByHash"}


def shared() -> list[tuple[SdkMethod, Operation]]:
    """(SDK method, mock operation) for every operation both serve, matched by method and path."""
    ours = {(op.method, op.path): op for op in operations(Surface.API) if op.published}
    return sorted(
        ((m, ours[(m.method, m.path)]) for m in sdk_methods() if (m.method, m.path) in ours),
        key=lambda pair: pair[1].id,
    )


SHARED = shared()


def unrecognized(value: Any, where: str = "") -> Iterator[str]:
    """Pointers to every value the SDK only took as an unknown member of an open enum."""
    if isinstance(value, UnrecognizedStr | UnrecognizedInt):
        yield f"{where or '/'} = {value!r}"
    elif isinstance(value, pydantic.BaseModel):
        for name, item in value.__dict__.items():  # not getattr: deprecated fields warn
            yield from unrecognized(item, f"{where}/{name}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unrecognized(item, f"{where}/{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unrecognized(item, f"{where}/{key}")


def strict_problems(model: Any, document: Any) -> list[str]:
    """Why ``document`` is not a valid ``model`` (empty: it is)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed = pydantic.TypeAdapter(model).validate_python(document)
    except pydantic.ValidationError as exc:
        return [f"/{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return [f"unknown enum value at {p}" for p in unrecognized(parsed)]


class Recorder:
    """An httpx response hook keeping every raw body (streams read in full first)."""

    def __init__(self) -> None:
        self.bodies: list[tuple[str, str, str, bytes]] = []

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        check_response(response)
        media = response.headers.get("content-type", "").split(";")[0]
        self.bodies.append((response.request.method, response.url.path, media, response.content))


def _call(live: Any, sdk: SdkMethod, kwargs: dict[str, Any], generation: str) -> Recorder:
    recorder = Recorder()
    if "<created>" in kwargs.values():  # a key of the management key's account, made for the call
        made = httpx.post(f"{live.base_url}/keys", json={"name": "made"}, headers={"Authorization": f"Bearer {KEY}"})
        made.raise_for_status()
        kwargs = {k: (made.json()["data"]["hash"] if v == "<created>" else v) for k, v in kwargs.items()}
    kwargs = {k: (generation if v == "<generation>" else v) for k, v in kwargs.items()}
    with httpx.Client(event_hooks={"response": [recorder]}) as hooked:
        with OpenRouter(api_key=KEY, server_url=live.base_url, retry_config=NO_RETRY, client=hooked) as client:
            with warnings.catch_warnings():  # the SDK marks some models deprecated (e.g. GET /key's)
                warnings.simplefilter("ignore", DeprecationWarning)
                result = sdk.bound(client)(**kwargs)
                if kwargs.get("stream"):
                    list(result)
    return recorder


@pytest.mark.socket
@pytest.mark.parametrize(("sdk", "op"), SHARED, ids=[f"{op.id}-{m.attr}.{m.name}" for m, op in SHARED])
def test_mock_matches_sdk_models(live, sdk: SdkMethod, op: Operation) -> None:
    assert op.id in CALLS, f"{op.id} is shared with the SDK ({sdk.attr}.{sdk.name}): add its arguments to CALLS"
    generation = httpx.post(
        f"{live.base_url}/chat/completions",
        json={"model": "openai/gpt-5-nano", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()["id"]
    if op.id in MANAGEMENT:
        httpx.put(f"{live.url}/__mockrouter/keys", json={"key": KEY, "management": True}).raise_for_status()
    problems: list[str] = []
    media_seen: set[str] = set()
    for kwargs in CALLS[op.id]:
        for method, path, media, raw in _call(live, sdk, kwargs, generation).bodies:
            assert media in sdk.models, f"{op.id}: the mock answered {media}, which {sdk.name} cannot read"
            media_seen.add(media)
            model = sdk.models[media]
            documents = (
                [{"data": json.loads(d)} for d in sse_events(raw.decode()) if d != "[DONE]"]
                if media == "text/event-stream"
                else [json.loads(raw)]
            )
            assert documents, f"{method} {path}: no document"
            for index, document in enumerate(documents):
                problems += [f"{kwargs} #{index}: {p}" for p in strict_problems(model, document)]
    assert media_seen == set(sdk.models), f"{op.id}: media types the SDK reads, never exercised"
    assert not problems, f"{op.id} disagrees with the SDK's {sdk.models}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(("sdk", "op"), [(m, op) for m, op in SHARED if op.request], ids=lambda v: getattr(v, "id", ""))
def test_every_request_field_the_sdk_sends_is_declared(sdk: SdkMethod, op: Operation) -> None:
    """The request side: each top-level body field of the SDK's request model is declared in our request schema
    (validated and documented, not merely let through as an unknown field)."""
    assert op.request is not None and sdk.request_model is not None, (op.id, sdk.name)
    declared = set(contract.schema(op.request)["properties"])
    fields = {f.alias or name for name, f in sdk.request_model.model_fields.items()}
    assert not fields - declared, f"{op.request} lacks fields the SDK sends: {sorted(fields - declared)}"


def test_every_shared_operation_is_called() -> None:
    ids = {op.id for _, op in SHARED}
    assert {"createChatCompletion", "listModelEndpoints", "listModels"} <= ids, ids
    assert ids == set(CALLS), f"shared operations without calls: {ids - set(CALLS)}; stale: {set(CALLS) - ids}"


def test_strictness_catches_unknown_enum_values_and_missing_fields() -> None:
    from openrouter.components import ModelsCountResponse
    from openrouter.operations import ListEndpointsResponse

    assert strict_problems(ModelsCountResponse, {"data": {"count": 3}}) == []
    assert strict_problems(ModelsCountResponse, {"data": {}})
    assert strict_problems(ModelsCountResponse, {"data": {"count": "three"}})
    sample = {"data": {"id": "x/y", "name": "Y", "created": 1, "description": "", "architecture": {
        "tokenizer": "GPT", "instruct_type": None, "modality": "text->text",
        "input_modalities": ["text", "hologram"], "output_modalities": ["text"]}, "endpoints": []}}
    assert any("hologram" in p or "input_modalities" in p for p in strict_problems(ListEndpointsResponse, sample))


# --------------------------------------------------------------------------- @openrouter/sdk (TypeScript)

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_SDK = NODE_DIR / "node_modules" / "@openrouter" / "sdk" / "package.json"


def _node(command: str, documents: Any = None) -> Any:
    node = shutil.which("node")
    if node is None or not NODE_SDK.is_file():
        missing = "node or @openrouter/sdk missing: npm ci --prefix tests/node (the pinned release)"
        if os.environ.get("CI"):  # CI installs both (.ci/run, make node-sdk): missing there is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    done = subprocess.run(
        [node, str(NODE_DIR / "sdk_drift.mjs"), command],
        input=json.dumps(documents) if documents is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _raw_documents(live: Any, op: Operation, kwargs: dict[str, Any], generation: str) -> list[dict[str, Any]]:
    """The mock's answer to one CALLS entry, sent as plain HTTP: path parameters from the arguments, the rest as
    the query (GET) or the JSON body."""
    if "<created>" in kwargs.values():
        made = httpx.post(f"{live.base_url}/keys", json={"name": "made"}, headers={"Authorization": f"Bearer {KEY}"})
        kwargs = {k: (made.json()["data"]["hash"] if v == "<created>" else v) for k, v in kwargs.items()}
    kwargs = {k: (generation if v == "<generation>" else v) for k, v in kwargs.items()}
    kwargs.pop("security", None)  # the SDK's per-call auth: sent as the Authorization header here
    path = op.path
    for name in [p.name for p in op.params if p.where == "path"]:
        path = path.replace("{" + name + "}", str(kwargs.pop(name)))
    headers = {"Authorization": f"Bearer {KEY}"}
    url = f"{live.base_url}{path}"
    if op.method == "GET":
        r = httpx.get(url, params=kwargs, headers=headers)
    else:
        r = httpx.request(op.method, url, json=kwargs, headers=headers)
    assert r.status_code == op.status, (op.id, r.status_code, r.text[:300])
    media = r.headers["content-type"].split(";")[0]
    if media == "text/event-stream":
        events = [json.loads(d) for d in sse_events(r.text) if d != "[DONE]"]
        return [{"method": op.method, "path": op.path, "media": media, "document": e} for e in events]
    return [{"method": op.method, "path": op.path, "media": media, "document": r.json()}]


@pytest.mark.socket
def test_mock_matches_the_typescript_sdk(live) -> None:
    """The same over ``@openrouter/sdk``'s pinned release (tests/node/package.json): its operations and zod
    schemas are read from the installed SDK by tests/node/sdk_drift.mjs, matched here by method and path."""
    ours = {(op.method, op.path): op for op in operations(Surface.API) if op.published}
    listed = _node("list")
    shared = sorted({ours[(o["method"], o["path"])].id: ours[(o["method"], o["path"])]
                     for o in listed if (o["method"], o["path"]) in ours}.values(), key=lambda op: op.id)  # fmt: skip
    assert {op.id for op in shared} == set(CALLS), "shared with @openrouter/sdk: keep CALLS in step"
    generation = httpx.post(
        f"{live.base_url}/chat/completions",
        json={"model": "openai/gpt-5-nano", "messages": [{"role": "user", "content": "Hi"}]},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()["id"]
    documents = []
    for op in shared:
        if op.id in MANAGEMENT:
            httpx.put(f"{live.url}/__mockrouter/keys", json={"key": KEY, "management": True}).raise_for_status()
        for kwargs in CALLS[op.id]:
            documents += _raw_documents(live, op, dict(kwargs), generation)
        if op.id in MANAGEMENT:
            httpx.put(f"{live.url}/__mockrouter/keys", json={"key": KEY, "management": False}).raise_for_status()
    assert {d["media"] for d in documents} == {"application/json", "text/event-stream"}
    problems = _node("check", documents)
    assert not problems, "the mock disagrees with @openrouter/sdk:\n  " + "\n  ".join(problems)


def test_the_typescript_checker_is_strict() -> None:
    count = {"method": "GET", "path": "/models/count", "media": "application/json"}
    chunk = {"id": "gen-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": {"role": "assistant", "content": "x"}, "finish_reason": "weird"}]}  # fmt: skip
    found = _node("check", [
        {**count, "document": {"data": {"count": 3}}},
        {**count, "document": {"data": {"count": "three"}}},
        {**count, "document": {"data": {}}},
        {"method": "POST", "path": "/chat/completions", "media": "text/event-stream", "document": chunk},
    ])  # fmt: skip
    assert len(found) == 3, found
    assert "count" in found[0] and "count" in found[1] and "unrecognized enum" in found[2], found
